// Preloaded ahead of libfaketime by clock_skew_test.sh, so that a process whose time of day is
// moved keeps working timers. libfaketime 0.9.10 moves absolute timerfd times by its offset, on
// CLOCK_MONOTONIC too, although FAKETIME_DONT_FAKE_MONOTONIC leaves that clock real. Asio arms a
// timer that is already due as "monotonic 1 ns, absolute": moved by -3 h it lands hours ahead on a
// machine up for less than that, moved by +3 h it is negative and refused, and either way the
// process waits for ever (1 run in 3-6 of the test hung so). Every timerfd in krest is Asio's, on
// CLOCK_MONOTONIC: the call goes to the kernel as it is.
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

extern "C" int timerfd_settime(int fd, int flags, const itimerspec* new_value, itimerspec* old_value) {
  return static_cast<int>(::syscall(SYS_timerfd_settime, fd, flags, new_value, old_value));
}
