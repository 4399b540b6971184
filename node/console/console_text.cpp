#include "node/console/console_text.hpp"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "node/protocol/base64.hpp"
#include "node/protocol/codec.hpp"

namespace eachare::console_text {

namespace {

std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::string bracket_index(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%2zu]", i);
  return buf;
}

}  // namespace

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

std::vector<std::string> render_menu() {
  return {"Escolha um comando:",
          "\t[1] Listar peers",
          "\t[2] Obter peers",
          "\t[3] Listar arquivos locais",
          "\t[4] Buscar arquivos",
          "\t[5] Exibir estatisticas",
          "\t[6] Alterar tamanho de chunk",
          "\t[9] Sair",
          ">"};
}

std::vector<std::string> render_peer_listing(const std::vector<peer_row>& rows,
                                             const address_book& book) {
  std::vector<std::string> out{"Lista de peers:", "\t[0] voltar para o menu anterior"};
  for (std::size_t k = 0; k < rows.size(); ++k) {
    out.push_back("\t[" + std::to_string(k + 1) + "] " + book.name(rows[k].id) + " " +
                  std::string(to_string(rows[k].status)));
  }
  return out;
}

std::vector<std::string> render_local_files(const std::vector<stored_file>& files) {
  std::vector<std::string> out;
  out.reserve(files.size());
  for (const auto& f : files) out.push_back("\t" + f.name);
  return out;
}

std::vector<std::string> render_search_table(const std::vector<search_row>& rows,
                                             const address_book& book) {
  static constexpr std::string_view cancel = "<Cancelar>";
  static constexpr std::string_view size_header = "Tamanho";
  std::size_t name_width = cancel.size();
  std::size_t size_width = size_header.size();
  for (const auto& r : rows) {
    name_width = std::max(name_width, r.name.size());
    size_width = std::max(size_width, std::to_string(r.size).size());
  }
  std::vector<std::string> out{"Arquivos encontrados na rede:"};
  out.push_back("     " + pad("Nome", name_width) + " | " + pad(size_header, size_width) +
                " | Peer");
  out.push_back(bracket_index(0) + " " + pad(cancel, name_width) + " | " + pad("", size_width) +
                " |");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::string holders;
    for (std::size_t h = 0; h < r.holders.size(); ++h) {
      if (h > 0) holders += ", ";
      holders += book.name(r.holders[h]);
    }
    out.push_back(bracket_index(i + 1) + " " + pad(r.name, name_width) + " | " +
                  pad(std::to_string(r.size), size_width) + " | " + holders);
  }
  return out;
}

std::vector<std::string> render_statistics(const std::vector<stats_row>& rows) {
  std::vector<std::string> out{"Tam. chunk | N peers | Tam. arquivo | N | Tempo [s] | Desvio"};
  for (const auto& r : rows) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%llu | %u | %llu | %u | %.5f | %.5f",
                  static_cast<unsigned long long>(r.chunk_size), r.holders,
                  static_cast<unsigned long long>(r.file_size), r.count, r.mean_seconds,
                  r.stddev_seconds);
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace eachare::console_text
