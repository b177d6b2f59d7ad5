#pragma once
// The commands' human output: columns as wide as their widest cell, two spaces apart, a
// header row in capitals. On a terminal the last column is clipped to the screen so that a
// long result does not wrap the table apart; into a pipe every cell is printed whole.

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace gleitzeit::cli {

class table {
public:
    explicit table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.empty(); }
    /// `columns`: the screen's width, or 0 for no limit.
    void print(std::ostream& out, std::size_t columns) const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace gleitzeit::cli
