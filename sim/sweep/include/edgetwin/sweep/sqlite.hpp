#pragma once
/// A small RAII wrapper of the SQLite C API: a connection, prepared statements, transactions.
/// Errors throw SqliteError with SQLite's message and the SQL that failed.

#include <cstdint>
#include <stdexcept>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace edgetwin::sweep {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An open database connection (created when missing); closed by the destructor.
class Database {
 public:
  /// Opens `path` read-write, creating it; sets busy_timeout (ms) so that a second connection
  /// waits for a writer instead of failing.
  explicit Database(const std::string& path, int busy_timeout_ms = 10000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements that return no rows.
  void exec(const std::string& sql);
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// A prepared statement; bind parameters by 1-based index, step, read columns by 0-based index.
class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  /// Advances; true while a row is available, false when done.
  bool step();
  /// Steps a statement that returns no row (INSERT, UPDATE, ...), then resets it for reuse.
  void run();
  void reset();

  bool is_null(int column) const;
  std::string text(int column) const;
  double real(int column) const;
  std::int64_t integer(int column) const;

 private:
  void check(int code, const char* what) const;
  sqlite3_stmt* stmt_ = nullptr;
  Database& db_;
  std::string sql_;
};

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace edgetwin::sweep
