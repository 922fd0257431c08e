#pragma once
#include <cstdio>
#include <string>

namespace krest::cli {

// Replaces `path` with `text` so that a crash at any moment leaves either the old file or the new
// one: write a temporary beside it, fsync, rename over, fsync the directory. Throws
// std::runtime_error naming the path and the reason.
void write_file_atomically(const std::string& path, const std::string& text);

// The file's contents, or nullopt-like empty `exists = false` when there is none. Throws
// std::runtime_error when it exists and cannot be read.
bool read_file_if_exists(const std::string& path, std::string& text);

// fflush and fdatasync: what was written to `file` survives a crash of the machine too.
void sync_file(std::FILE* file, const std::string& path);

}  // namespace krest::cli
