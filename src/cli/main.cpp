#include <iostream>

#include "cli/context.h"

int main(int argc, char** argv) {
  return tokcast::cli::Run(argc, argv, std::cout, std::cerr);
}
