#include "table.hpp"

#include "terminal.hpp"

#include <algorithm>

namespace gleitzeit::cli {

void table::print(std::ostream& out, std::size_t columns) const {
    std::vector<std::size_t> width(headers_.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], display_width(row[i]));
    };
    measure(headers_);
    for (const auto& r : rows_)
        measure(r);

    auto line = [&](const std::vector<std::string>& row) {
        std::string text;
        for (std::size_t i = 0; i < width.size(); ++i) {
            const std::string cell = i < row.size() ? row[i] : std::string();
            text += cell;
            if (i + 1 < width.size())
                text.append(width[i] - display_width(cell) + 2, ' ');
        }
        // The padding of an empty last column would only be trailing blanks.
        text.erase(text.find_last_not_of(' ') + 1);
        out << clip(text, columns) << '\n';
    };
    line(headers_);
    for (const auto& r : rows_)
        line(r);
}

} // namespace gleitzeit::cli
