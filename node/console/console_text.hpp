// console_text: the text of the EACHare console — the exact strings of docs/protocol.md §10 (the
// menu, the peer listing, the search table, the statistics table, and a protocol line as the
// console shows it). Pure string building, shared by the real console (node/cli) and the
// simulator's console transcripts (sim/scenario), so both print the very same lines.
//
// Threading rule: pure functions; safe from any thread (the address book is only read).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/message.hpp"

namespace eachare::console_text {

// FILE lines show this many base64 characters, then "...".
inline constexpr std::size_t default_file_preview_chars = 100;

// A protocol line as the console shows it: FILE lines keep their header and the first
// `preview` characters of the base64 field, then "..."; other lines unchanged.
std::string console_line(std::string_view line, std::size_t preview);
// The console text of a message we send (FILE encoded only as far as the preview needs).
std::string console_line(const message& msg, std::size_t preview);

std::vector<std::string> render_menu();
std::vector<std::string> render_peer_listing(const std::vector<peer_row>& rows,
                                             const address_book& book);
std::vector<std::string> render_local_files(const std::vector<stored_file>& files);
std::vector<std::string> render_search_table(const std::vector<search_row>& rows,
                                             const address_book& book);
std::vector<std::string> render_statistics(const std::vector<stats_row>& rows);

}  // namespace eachare::console_text
