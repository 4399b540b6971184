#include "node/console/console_printer.hpp"

#include <utility>

namespace eachare::console_text {

console_printer::console_printer(line_sink& out, const address_book& book, printer_options options)
    : out_(out), book_(book), options_(options) {}

void console_printer::trace(std::string_view text) {
  if (!options_.quiet) out_.line(text);
}

void console_printer::on_clock_changed(std::uint64_t value) {
  trace("=> Atualizando relogio para " + std::to_string(value));
}

void console_printer::on_sending(peer_id to, const message& msg) {
  trace("Encaminhando mensagem \"" + console_line(msg, options_.file_preview_chars) + "\" para " +
        book_.name(to));
}

void console_printer::on_request_received(peer_id, const message&, std::string_view line) {
  trace("Mensagem recebida: \"" + console_line(line, options_.file_preview_chars) + "\"");
}

void console_printer::on_reply_received(peer_id, const message&, std::string_view line) {
  trace("Resposta recebida: \"" + console_line(line, options_.file_preview_chars) + "\"");
}

void console_printer::on_peer_added(peer_id p, peer_status s, std::uint64_t) {
  trace("Adicionando novo peer " + book_.name(p) + " status " + std::string(to_string(s)));
}

void console_printer::on_peer_updated(peer_id p, peer_status s, std::uint64_t) {
  trace("Atualizando peer " + book_.name(p) + " status " + std::string(to_string(s)));
}

void console_printer::on_warning(std::string_view text) {
  out_.line("Warning: " + std::string(text));
}

void console_printer::on_peer_listing(const std::vector<peer_row>& rows) {
  out_.lines(render_peer_listing(rows, book_));
}

void console_printer::on_local_files(const std::vector<stored_file>& files) {
  out_.lines(render_local_files(files));
}

void console_printer::on_search_results(const std::vector<search_row>& rows) {
  out_.lines(render_search_table(rows, book_));
}

void console_printer::on_download_started(std::string_view name) {
  out_.line("arquivo escolhido " + std::string(name));
}

std::string download_summary_suffix(std::uint64_t retries, std::uint32_t holders_dropped) {
  std::string parts;
  if (retries > 0) parts = std::to_string(retries) + (retries == 1 ? " retry" : " retries");
  if (holders_dropped > 0) {
    parts += (parts.empty() ? "" : ", ") + std::to_string(holders_dropped) +
             (holders_dropped == 1 ? " holder dropped" : " holders dropped");
  }
  return parts.empty() ? parts : " (" + parts + ")";
}

void console_printer::on_download_summary(std::string_view, std::uint64_t retries,
                                          std::uint32_t holders_dropped) {
  download_summary_ = download_summary_suffix(retries, holders_dropped);
}

void console_printer::on_download_finished(std::string_view name, download_outcome outcome,
                                           std::string_view why) {
  // The assignment's string comes first, unchanged; a download that needed no retry prints
  // exactly it.
  const std::string summary = std::exchange(download_summary_, std::string());
  if (outcome == download_outcome::completed) {
    out_.line("Download do arquivo " + std::string(name) + " finalizado." + summary);
  } else {
    out_.line("Download failed for file " + std::string(name) + ": " + std::string(why) + summary);
  }
}

void console_printer::on_statistics(const std::vector<stats_row>& rows) {
  out_.lines(render_statistics(rows));
}

void console_printer::on_chunk_size_changed(std::uint64_t size) {
  out_.line("Tamanho de chunk alterado: " + std::to_string(size));
}

void console_printer::on_command_refused(std::string_view why) {
  out_.line("Warning: " + std::string(why));
}

void console_printer::on_leaving() {
  out_.line("Saindo...");
}

}  // namespace eachare::console_text
