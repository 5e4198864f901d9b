// The error type of everything that parses input. Messages are one line and say what and
// where (file, entity, key, expected, got); the CLI prints them as they are.
#pragma once

#include <stdexcept>
#include <string>

namespace tokcast::catalog {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// Input that ends before its structure does (a truncated file, or only the head of one was
// read): callers reading a remote file's head fetch more bytes and parse again.
class TruncatedInput : public InputError {
 public:
  using InputError::InputError;
};

// Throws InputError unless `path` names a regular file (a FIFO or a device would block or
// never end; a directory is not a file).
void RequireRegularFile(const std::string& path);

}  // namespace tokcast::catalog
