// eachare: the EACHare peer over real sockets (protocol.md §1). The io_context thread (main) runs
// the node, the transport, timers and signals; a stdin thread runs the menu and only posts
// commands into the io_context.
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "node/asio/asio.hpp"
#include "node/asio/asio_scheduler.hpp"
#include "node/asio/asio_transport.hpp"
#include "node/asio/fs_file_store.hpp"
#include "node/cli/console.hpp"
#include "node/cli/console_observer.hpp"
#include "node/cli/menu.hpp"
#include "node/core/neighbours.hpp"
#include "node/core/peer_node.hpp"
#include "node/protocol/peer_address.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::string_view usage_line =
    "Usage: eachare <ip>:<port> <neighbours.txt> <shared_dir> [--ep 1|2|3] [--quiet] "
    "[--connect-timeout-ms N] [--reply-timeout-ms N] [--no-late-replies]";
constexpr std::string_view version_text = "eachare 0.1.0";

int fail(std::string_view problem) {
  std::cerr << "Error: " << problem << '\n' << usage_line << '\n';
  std::cerr.flush();
  return 1;
}

struct options {
  std::string address;
  std::string neighbours_file;
  std::string shared_dir;
  int ep = 3;
  bool quiet = false;
  long connect_timeout_ms = 3000;
  long reply_timeout_ms = 10000;
  bool late_replies = true;
};

bool parse_long(std::string_view s, long& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

void print_help() {
  std::cout << usage_line << "\n\n"
            << "EACHare peer: peer discovery, file search and chunked downloads.\n"
            << "  <ip>:<port>             address this peer listens on (its identity)\n"
            << "  <neighbours.txt>        one <ip>:<port> per line\n"
            << "  <shared_dir>            files offered, and where downloads are written\n"
            << "  --ep 1|2|3              clock rule and features of that EP part (default 3)\n"
            << "  --quiet                 leave out the message trace (clock, sends, status)\n"
            << "  --connect-timeout-ms N  bound on connecting to a peer (default 3000)\n"
            << "  --reply-timeout-ms N    deadline for a reply, from the send (default 10000)\n"
            << "  --no-late-replies       a reply must come on our request's own connection: a\n"
            << "                          PEER_LIST/LS_LIST/FILE arriving on our listener no\n"
            << "                          longer completes a waiting request (by default it does\n"
            << "                          when it comes from the IP the request went to)\n"
            << "  --help, --version\n"
            << "The console prints the assignment's strings in Portuguese; everything else is in "
               "English (docs/protocol.md).\n";
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that went away (closed pipe) must not kill a peer that others still talk to.
  std::signal(SIGPIPE, SIG_IGN);
  options opt;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view name, long& out) -> bool {
      if (i + 1 >= argc) return false;
      (void)name;
      return parse_long(argv[++i], out);
    };
    if (arg == "--help" || arg == "-h") {
      print_help();
      return 0;
    }
    if (arg == "--version") {
      std::cout << version_text << '\n';
      return 0;
    }
    if (arg == "--quiet") {
      opt.quiet = true;
    } else if (arg == "--no-late-replies") {
      opt.late_replies = false;
    } else if (arg == "--ep") {
      long ep = 0;
      if (!value(arg, ep) || ep < 1 || ep > 3) return fail("--ep expects 1, 2 or 3");
      opt.ep = static_cast<int>(ep);
    } else if (arg == "--connect-timeout-ms") {
      if (!value(arg, opt.connect_timeout_ms) || opt.connect_timeout_ms <= 0) {
        return fail("--connect-timeout-ms expects a positive integer");
      }
    } else if (arg == "--reply-timeout-ms") {
      if (!value(arg, opt.reply_timeout_ms) || opt.reply_timeout_ms <= 0) {
        return fail("--reply-timeout-ms expects a positive integer");
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return fail("unknown option: " + std::string(arg));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.size() != 3) {
    return fail("wrong number of arguments (expected 3, got " + std::to_string(positional.size()) +
                ")");
  }
  opt.address = positional[0];
  opt.neighbours_file = positional[1];
  opt.shared_dir = positional[2];

  const auto self = eachare::peer_address::parse(opt.address);
  if (!self) return fail("invalid address: " + opt.address + " (expected <ip>:<port>)");

  std::string neighbours_text;
  {
    std::error_code ec;
    if (!fs::exists(opt.neighbours_file, ec)) {
      return fail("neighbours file not found: " + opt.neighbours_file);
    }
    if (fs::is_directory(opt.neighbours_file, ec)) {
      return fail("neighbours file is a directory: " + opt.neighbours_file);
    }
    std::ifstream in(opt.neighbours_file, std::ios::binary);
    if (!in) return fail("neighbours file unreadable: " + opt.neighbours_file);
    std::ostringstream text;
    text << in.rdbuf();
    neighbours_text = text.str();
  }
  {
    std::error_code ec;
    if (!fs::exists(opt.shared_dir, ec)) {
      return fail("shared directory does not exist: " + opt.shared_dir);
    }
    if (!fs::is_directory(opt.shared_dir, ec)) {
      return fail("shared directory is not a directory: " + opt.shared_dir);
    }
    if (::access(opt.shared_dir.c_str(), R_OK | X_OK) != 0) {
      return fail("shared directory not readable: " + opt.shared_dir);
    }
    fs::directory_iterator probe(opt.shared_dir, ec);
    if (ec) return fail("shared directory cannot be listed: " + opt.shared_dir);
  }

  boost::asio::io_context io;
  eachare::address_book book;
  eachare::transport_options topt;
  topt.connect_timeout = std::chrono::milliseconds(opt.connect_timeout_ms);
  // The node keeps the reply deadline (config.reply_timeout below, counted from the send); the
  // socket's bound on reading the reply is the same, counted from the connect, so the node's
  // always comes first.
  topt.reply_timeout = std::chrono::milliseconds(opt.reply_timeout_ms);
  topt.late_replies = opt.late_replies;
  eachare::asio_transport net(io, book, topt);
  if (const auto ec = net.listen(self->host, self->port)) {
    if (ec == std::errc::address_in_use) {
      return fail("port " + std::to_string(self->port) + " in use on " + self->host);
    }
    return fail("cannot listen on " + opt.address + ": " + ec.message());
  }

  eachare::cli::console out(std::cout);
  eachare::cli::menu_mailbox mailbox;
  eachare::cli::console_options copt;
  copt.quiet = opt.quiet;
  eachare::cli::console_observer observer(out, book, &mailbox, copt);

  const auto parsed = eachare::parse_neighbours(neighbours_text, opt.address);
  for (const auto& w : parsed.warnings) out.line("Warning: " + w);

  eachare::asio_scheduler sched(io);
  eachare::fs_file_store files(opt.shared_dir);
  // A peer killed mid-download (kill -9, power loss) leaves its temporary file behind.
  if (const auto stale = files.remove_stale_parts(); !stale.empty()) {
    out.line("Warning: removed " + std::to_string(stale.size()) +
             " temporary files of interrupted downloads (" +
             std::string(eachare::fs_file_store::temp_prefix) + "*)");
  }
  eachare::node_config config;
  config.self = opt.address;
  config.ep = opt.ep;
  config.neighbours = parsed.addresses;
  config.reply_timeout = std::chrono::milliseconds(opt.reply_timeout_ms);
  eachare::peer_node node(config, book, net, sched, files, observer);
  eachare::node_inbound_handler inbound(node);
  net.set_inbound_handler(&inbound);

  bool stopping = false;
  observer.set_exit_hook([&] {
    stopping = true;
    mailbox.stop();
    io.stop();
  });

  // SIGINT / SIGTERM / SIGHUP (the terminal closed) act like option 9; a second signal exits at
  // once. Without SIGHUP, closing the terminal killed the peer before its BYE went out.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  bool bye_sent = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (bye_sent) {
          mailbox.stop();
          io.stop();
          return;
        }
        bye_sent = true;
        node.on_command(eachare::cmd_bye{});
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  node.start();

  eachare::cli::fd_line_source input(STDIN_FILENO);
  eachare::cli::menu_loop menu(out, mailbox, input, [&](eachare::command cmd) {
    // Held by pointer: moving the variant into the closure made GCC 12 warn (falsely) that
    // cmd_download's string may be used uninitialized.
    auto held = std::make_shared<const eachare::command>(std::move(cmd));
    boost::asio::post(io, [&node, &bye_sent, held] {
      if (std::holds_alternative<eachare::cmd_bye>(*held)) {
        if (bye_sent) return;
        bye_sent = true;
      }
      node.on_command(*held);
    });
  });
  std::thread menu_thread([&] { menu.run(); });

  io.run();
  (void)stopping;

  mailbox.stop();
  input.stop();
  menu_thread.join();
  net.close();
  std::cout.flush();
  return 0;
}
