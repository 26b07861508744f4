//===- Error.h - the runtime's errors -----------------------------*- C++ -*-===//
//
// Inside the runtime an error is an exception carrying the message the C
// API returns from trm_last_error(); every C entry point catches it.
//
//===----------------------------------------------------------------------===//
#ifndef TRM_RUNTIME_SRC_ERROR_H
#define TRM_RUNTIME_SRC_ERROR_H

#include <stdexcept>
#include <string>

namespace trm::rt {
struct Error : std::runtime_error {
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};
} // namespace trm::rt

#endif
