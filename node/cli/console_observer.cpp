#include "node/cli/console_observer.hpp"

namespace eachare::cli {

console_observer::console_observer(console& out, const address_book& book, menu_mailbox* mailbox,
                                   console_options options)
    : detail::console_sink_base(out),
      console_text::console_printer(sink_, book, options),
      mailbox_(mailbox) {}

void console_observer::notify(menu_event event) {
  if (mailbox_ != nullptr) mailbox_->push(std::move(event));
}

void console_observer::on_peer_listing(const std::vector<peer_row>& rows) {
  console_printer::on_peer_listing(rows);
  menu_event e{menu_event_kind::peer_listing, {}, {}};
  e.peers.reserve(rows.size());
  for (const auto& r : rows) e.peers.push_back(r.id);
  notify(std::move(e));
}

void console_observer::on_local_files(const std::vector<stored_file>& files) {
  console_printer::on_local_files(files);
  notify({menu_event_kind::local_files, {}, {}});
}

void console_observer::on_search_results(const std::vector<search_row>& rows) {
  console_printer::on_search_results(rows);
  notify({menu_event_kind::search_results, {}, rows});
}

void console_observer::on_download_finished(std::string_view name, download_outcome outcome,
                                            std::string_view why) {
  console_printer::on_download_finished(name, outcome, why);
  notify({menu_event_kind::download_finished, {}, {}});
}

void console_observer::on_statistics(const std::vector<stats_row>& rows) {
  console_printer::on_statistics(rows);
  notify({menu_event_kind::statistics, {}, {}});
}

void console_observer::on_chunk_size_changed(std::uint64_t size) {
  console_printer::on_chunk_size_changed(size);
  notify({menu_event_kind::chunk_size_changed, {}, {}});
}

void console_observer::on_command_refused(std::string_view why) {
  console_printer::on_command_refused(why);
  notify({menu_event_kind::command_refused, {}, {}});
}

void console_observer::on_get_peers_done() {
  notify({menu_event_kind::get_peers_done, {}, {}});
}

void console_observer::on_hello_done(peer_id /*to*/) {
  notify({menu_event_kind::hello_done, {}, {}});
}

void console_observer::on_exit_ready() {
  notify({menu_event_kind::exit_ready, {}, {}});
  if (exit_hook_) exit_hook_();
}

}  // namespace eachare::cli
