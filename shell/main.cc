// Copyright hvdb authors. The `hvdb` program.
#include <iostream>
#include <string>
#include <vector>

#include "shell/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return hvdb::shell::RunCli(args, std::cout, std::cerr);
}
