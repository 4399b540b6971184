#include "node/cli/console_observer.hpp"

#include "node/protocol/base64.hpp"
#include "node/protocol/codec.hpp"

namespace eachare::cli {

std::string console_line(std::string_view line, std::size_t preview) {
  // Fields: ORIGIN CLOCK FILE name size index base64.
  std::size_t pos = 0;
  std::size_t field = 0;
  std::size_t type_start = std::string_view::npos;
  std::size_t type_end = std::string_view::npos;
  while (pos < line.size() && field < 6) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ') ++pos;
    if (field == 2) {
      type_start = start;
      type_end = pos;
    }
    ++field;
  }
  if (type_start == std::string_view::npos ||
      line.substr(type_start, type_end - type_start) != "FILE") {
    return std::string(line);
  }
  while (pos < line.size() && line[pos] == ' ') ++pos;
  if (line.size() - pos <= preview) return std::string(line);
  std::string out(line.substr(0, pos + preview));
  out += "...";
  return out;
}

std::string console_line(const message& msg, std::size_t preview) {
  const auto* file = std::get_if<file_body>(&msg.body);
  if (file == nullptr || base64::encoded_size(file->data.size()) <= preview) return encode(msg);
  // Encode only what the preview shows: FILE data can be megabytes. The header carries the real
  // byte count, as the wire line does.
  std::string out = msg.origin + " " + std::to_string(msg.clock) + " FILE " + file->name + " " +
                    std::to_string(file->data.size()) + " " + std::to_string(file->chunk_index) +
                    " ";
  const std::size_t raw = (preview + 3) / 4 * 3;
  std::string b64 = base64::encode(std::string_view(file->data).substr(0, raw));
  b64.resize(std::min(b64.size(), preview));
  out += b64;
  out += "...";
  return out;
}

console_observer::console_observer(console& out, const address_book& book, menu_mailbox* mailbox,
                                   console_options options)
    : out_(out), book_(book), mailbox_(mailbox), options_(options) {}

void console_observer::trace(std::string_view text) {
  if (!options_.quiet) out_.line(text);
}

void console_observer::notify(menu_event event) {
  if (mailbox_ != nullptr) mailbox_->push(std::move(event));
}

void console_observer::on_clock_changed(std::uint64_t value) {
  trace("=> Atualizando relogio para " + std::to_string(value));
}

void console_observer::on_sending(peer_id to, const message& msg) {
  trace("Encaminhando mensagem \"" + console_line(msg, options_.file_preview_chars) + "\" para " +
        book_.name(to));
}

void console_observer::on_request_received(peer_id, const message&, std::string_view line) {
  trace("Mensagem recebida: \"" + console_line(line, options_.file_preview_chars) + "\"");
}

void console_observer::on_reply_received(peer_id, const message&, std::string_view line) {
  trace("Resposta recebida: \"" + console_line(line, options_.file_preview_chars) + "\"");
}

void console_observer::on_peer_added(peer_id p, peer_status s, std::uint64_t) {
  trace("Adicionando novo peer " + book_.name(p) + " status " + std::string(to_string(s)));
}

void console_observer::on_peer_updated(peer_id p, peer_status s, std::uint64_t) {
  trace("Atualizando peer " + book_.name(p) + " status " + std::string(to_string(s)));
}

void console_observer::on_warning(std::string_view text) {
  out_.line("Aviso: " + std::string(text));
}

void console_observer::on_peer_listing(const std::vector<peer_row>& rows) {
  out_.lines(render_peer_listing(rows, book_));
  menu_event e{menu_event_kind::peer_listing, {}, {}};
  e.peers.reserve(rows.size());
  for (const auto& r : rows) e.peers.push_back(r.id);
  notify(std::move(e));
}

void console_observer::on_local_files(const std::vector<stored_file>& files) {
  out_.lines(render_local_files(files));
  notify({menu_event_kind::local_files, {}, {}});
}

void console_observer::on_search_results(const std::vector<search_row>& rows) {
  out_.lines(render_search_table(rows, book_));
  notify({menu_event_kind::search_results, {}, rows});
}

void console_observer::on_download_started(std::string_view name) {
  out_.line("arquivo escolhido " + std::string(name));
}

void console_observer::on_download_finished(std::string_view name, download_outcome outcome,
                                            std::string_view why) {
  if (outcome == download_outcome::completed) {
    out_.line("Download do arquivo " + std::string(name) + " finalizado.");
  } else {
    out_.line("Falha no download do arquivo " + std::string(name) + ": " + std::string(why));
  }
  notify({menu_event_kind::download_finished, {}, {}});
}

void console_observer::on_statistics(const std::vector<stats_row>& rows) {
  out_.lines(render_statistics(rows));
  notify({menu_event_kind::statistics, {}, {}});
}

void console_observer::on_chunk_size_changed(std::uint64_t size) {
  out_.line("Tamanho de chunk alterado: " + std::to_string(size));
  notify({menu_event_kind::chunk_size_changed, {}, {}});
}

void console_observer::on_command_refused(std::string_view why) {
  out_.line("Aviso: " + std::string(why));
  notify({menu_event_kind::command_refused, {}, {}});
}

void console_observer::on_get_peers_done() {
  notify({menu_event_kind::get_peers_done, {}, {}});
}

void console_observer::on_hello_done(peer_id /*to*/) {
  notify({menu_event_kind::hello_done, {}, {}});
}

void console_observer::on_leaving() {
  out_.line("Saindo...");
}

void console_observer::on_exit_ready() {
  notify({menu_event_kind::exit_ready, {}, {}});
  if (exit_hook_) exit_hook_();
}

}  // namespace eachare::cli
