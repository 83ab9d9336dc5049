// RETURN_IF_ERROR and ASSIGN_OR_RETURN: the only error-propagation macros in
// runsc. They work with absl::Status and absl::StatusOr<T>.
#ifndef RUNSC_UTIL_STATUS_MACROS_H_
#define RUNSC_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RUNSC_CONCAT_INNER_(a, b) a##b
#define RUNSC_CONCAT_(a, b) RUNSC_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::absl::Status runsc_status_ = (expr);               \
    if (!runsc_status_.ok()) return runsc_status_;       \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates a StatusOr expression, returns its
// status if it is not OK, and otherwise assigns (or declares) lhs with the
// value.
#define ASSIGN_OR_RETURN(lhs, expr) \
  RUNSC_ASSIGN_OR_RETURN_IMPL_(RUNSC_CONCAT_(runsc_statusor_, __LINE__), lhs, expr)

#define RUNSC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // RUNSC_UTIL_STATUS_MACROS_H_
