// POSIX implementation of run_isolated (fork + pipe + waitpid).
#include "platform/process.hh"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ember::platform {

namespace {
bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}
}  // namespace

bool run_isolated(const std::function<std::string()>& work, unsigned timeout_seconds,
                  std::string* output, std::string* why) {
  int fds[2];
  if (pipe(fds) != 0) {
    *why = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    if (timeout_seconds != 0) alarm(timeout_seconds);
    bool ok = write_all(fds[1], work());
    close(fds[1]);
    _exit(ok ? 0 : 3);
  }
  close(fds[1]);
  output->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output->append(buf, size_t(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    *why = sig == SIGALRM ? "timed out after " + std::to_string(timeout_seconds) + " s"
                          : std::string("crashed (signal ") + std::to_string(sig) + ": " +
                                strsignal(sig) + ")";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "child exited with status " + std::to_string(WEXITSTATUS(status));
    return false;
  }
  return true;
}

}  // namespace ember::platform
