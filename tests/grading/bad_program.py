#!/usr/bin/env python3
"""Programs that misbehave the ways real submissions do, for the grader's bad-input tests.

    bad_program.py MODE <ip:port> [anything...]

MODE:
  exit      exits at once with code 3, printing nothing
  silent    never prints the menu (sleeps, reading nothing)
  deaf      prints the menu once, then never reads stdin again
  flood     prints the menu, then writes to stdout without end
  badutf8   a menu-driven program (no network) whose console holds invalid UTF-8 bytes

Every mode ends on its own within 120 s, so a test that failed to kill it leaves nothing for long.
"""
import sys
import time

MENU = ["Escolha um comando:", "\t[1] Listar peers", "\t[2] Obter peers",
        "\t[3] Listar arquivos locais", "\t[4] Buscar arquivos", "\t[5] Exibir estatisticas",
        "\t[6] Alterar tamanho de chunk", "\t[9] Sair", ">"]


def menu(out):
    out.write(("\n".join(MENU) + "\n").encode())
    out.flush()


def main():
    mode = sys.argv[1]
    out = sys.stdout.buffer
    if mode == "exit":
        sys.exit(3)
    if mode == "silent":
        time.sleep(120)
        return
    if mode == "deaf":
        menu(out)
        time.sleep(120)
        return
    if mode == "flood":
        menu(out)
        block = b"flood " * 10000 + b"\n"
        deadline = time.time() + 120
        while time.time() < deadline:
            out.write(block)
        return
    if mode == "badutf8":
        out.write(b"Servidor iniciado em \xff\xfe" + sys.argv[2].encode() + b"\n")
        menu(out)
        for line in sys.stdin:
            if line.strip() == "9":
                out.write(b"Saindo...\n")
                out.flush()
                return
            out.write(b"op\xc3\x28o " + line.strip().encode() + b"\n")
            menu(out)
        return
    sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
