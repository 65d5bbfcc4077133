// Running a piece of work in a child process (platform layer).
//
// The .wast harness runs each script isolated so that a crash or a hang in
// one script is reported as that script's failure instead of ending the run.
#pragma once

#include <functional>
#include <string>

namespace ember::platform {

// Runs `work` in a forked child and returns its output string through a pipe.
// False when the child crashed, exited abnormally or ran longer than
// `timeout_seconds` (0 = no limit); `*why` then says what happened.
bool run_isolated(const std::function<std::string()>& work, unsigned timeout_seconds,
                  std::string* output, std::string* why);

}  // namespace ember::platform
