/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox_linux.c - after the privilege drop: no capability can come back,
 * no exec can gain privileges, and a seccomp filter kills the helper on any
 * system call the running helper never makes. */
#include "cli/vmnet-helper/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errmsg.h"

/*
 * How it works.
 *
 * The filter is classic BPF, built here at run time, not with libseccomp:
 * it is one flat list with a few argument checks, the whole program is
 * 140 instructions on x86_64, and building it ourselves keeps a library
 * (and its allocations) out of the sandboxed process and the build. It
 * runs in this order:
 *
 *   1. The architecture of the call must be the one we were built for
 *      (AUDIT_ARCH_*): the same number means another call in another ABI
 *      (an x86_64 process may still enter the kernel through int 0x80 as
 *      i386). On x86_64, numbers with __X32_SYSCALL_BIT are the x32 ABI
 *      and arrive with AUDIT_ARCH_X86_64 too: refused as well.
 *   2. Each allowed number returns SECCOMP_RET_ALLOW; the datapath's calls
 *      come first. Since Linux 5.11 the kernel also caches, per number,
 *      the calls a filter allows without looking at their arguments, and
 *      skips running it for them (seccomp_cache_prepare()), so the
 *      datapath pays nothing per call there.
 *   3. A few calls are allowed only with some arguments: socket() only for
 *      unix datagrams and sock_diag netlink, clone() only for threads, mmap()
 * and mprotect() never executable, tgkill() only inside this process, prctl()
 * only to name a thread; with --address-file only, openat() only to create
 * a new file and rename() (emit_new_files()).
 *   4. Everything else: SECCOMP_RET_KILL_PROCESS. The whole process dies
 *      as if by SIGSYS (a parent sees WTERMSIG == SIGSYS, vmnet-run names
 *      it), and the kernel logs the call's number ("audit: type=1326 ...
 *      syscall=N"). Killing is deliberate: a helper that got an error
 *      instead would go on half-working, or let an attacker probe.
 *
 * The one exception to 4 is clone3(): its flags are in memory that BPF
 * cannot read, so it fails with ENOSYS, which makes glibc fall back to
 * clone(), whose flags we can check (glibc's clone-internal.c does that
 * fallback since 2.34).
 *
 * io_uring: operations submitted through a ring are not system calls and
 * seccomp never sees them. The TAP's ring (vmnet/linux/tap_uring.c) is
 * therefore created disabled and locked to reads and writes on its one
 * registered file before it is enabled, and io_uring_setup() is not on the
 * list: no new ring can be made after start.
 *
 * The list was measured, not guessed: tests/scripts/sandbox_syscalls.py
 * runs every scenario of the helper (the lifecycle and end-to-end tests,
 * vmnet-run, QEMU guests, --socket clients coming and going, --stream
 * clients over --fd and --socket, --pid, --stats-interval, --cpus,
 * SIGTERM, SIGINT, SIGSTOP/SIGCONT, the TAP deleted under it, TSO, write()
 * instead of io_uring, SIGUSR1 and the other signals, a helper that is not
 * root) under strace, and lists each
 * call made after this point; docs/security.md has the result.
 */

#if defined(__x86_64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* Sanitizer builds (make test-asan) run more code after start: the
 * runtime's own threads, reports and the leak check at exit. gcc says so
 * with __SANITIZE_*__, clang with __has_feature(). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

#ifdef SANDBOX_AUDIT_ARCH
/*
 * The system calls allowed without looking at their arguments, the
 * datapath's first. Each group says where its calls come from: measured
 * with tests/scripts/sandbox_syscalls.py unless it says "read from" the
 * source of a path no scenario reaches.
 */
static const int sandbox_allowed[] = {
    /* The datapath: batches to and from the VM's socket with recvmmsg()
     * and sendmmsg() (engine/os/linux/dgram_io_linux.c); the TAP read
     * and written a batch per io_uring_enter() (vmnet/linux/tap_uring.c)
     * or, without io_uring, one read() and write() per frame
     * (vmnet/linux/host_tap.c; read() is listed with the poller below). */
    __NR_recvmmsg,
    __NR_sendmmsg,
    __NR_io_uring_enter,
    __NR_write,
    /* The poller (engine/os/linux/poller_epoll.c): the workers wait in
     * ppoll() (poller_wait_on()), the supervisor in epoll_pwait2(), and
     * epoll_wait() where it is missing (ENOSYS before Linux 5.11; glibc
     * makes epoll_wait() an epoll_pwait() where the architecture has no
     * epoll_wait, as on aarch64: read from glibc's epoll_wait.c); the
     * eventfd, timerfd and signalfd counters are read with read(). Each
     * serve makes its pollers anew, so the creating calls are here too. */
    __NR_ppoll,
    __NR_epoll_pwait2,
    __NR_read,
#ifdef __NR_epoll_wait
    __NR_epoll_wait,
#endif
    __NR_epoll_pwait,
    __NR_epoll_ctl,
    __NR_epoll_create1,
    __NR_eventfd2,
    __NR_timerfd_create,
    __NR_timerfd_settime,
    __NR_signalfd4,
    /* The workers (engine/worker.c, engine/os/linux/placement_linux.c),
     * started anew for each client: futex() under pthread_join() and
     * the engine's waits; the engine ignores SIGPIPE (engine/engine.c);
     * glibc's pthread_create() maps the stack (mmap, mprotect: checked
     * below), blocks signals around clone(), installs its own SIGSETXID
     * handler the first time, and each new thread registers
     * set_robust_list() and rseq(); the engine reads the CPUs it may
     * use to choose one worker or two (placement_cpu_count()), --cpus
     * pins them; their CPU time is
     * clock_gettime(CLOCK_THREAD_CPUTIME_ID), a real call (the vDSO only
     * has the wall clocks); at exit a thread gives its stack back with
     * madvise() and exit(), and pthread_join() or free() unmap. */
    __NR_futex,
    __NR_rt_sigprocmask,
    __NR_rt_sigaction,
    __NR_set_robust_list,
    __NR_rseq,
    __NR_sched_getaffinity,
    __NR_sched_setaffinity,
    __NR_clock_gettime,
    __NR_madvise,
    __NR_munmap,
    __NR_exit,
    /* malloc() growing the main arena, or a large block realloc()ed, as
     * the poller's fd table may be (read from glibc's malloc.c). */
    __NR_brk,
    __NR_mremap,
    /* The VM's socket. Each --fd or --socket client gets a peer watch
     * (engine/os/linux/peer_watch_linux.c): socket() (checked below),
     * fstat() (newfstatat(AT_EMPTY_PATH) in glibc 2.33 and later),
     * setsockopt(SO_RCVTIMEO), and each query a sendto() and recvfrom().
     * A --socket client is accepted by peeking with recvmsg() and
     * connect() to it (cli/common/vm_socket.c); when it leaves the socket
     * is bound anew: unlink(), socket(), fcntl(), umask(), bind(),
     * chmod(), setsockopt() for the buffers, dup() for the endpoint, and
     * close() for all of them. fcntl() also makes the VM's fd
     * nonblocking (engine/endpoint_dgram.c). */
    __NR_sendto,
    __NR_recvfrom,
    __NR_recvmsg,
    __NR_connect,
    __NR_bind,
    __NR_setsockopt,
    __NR_fcntl,
    __NR_dup,
    __NR_close,
    __NR_newfstatat,
    __NR_umask,
/* The same calls by their older names, which glibc uses where the
 * architecture has them (x86_64 has, aarch64 only has the *at ones). */
#ifdef __NR_fstat
    __NR_fstat,
#endif
#ifdef __NR_unlink
    __NR_unlink,
#else
    __NR_unlinkat,
#endif
#ifdef __NR_chmod
    __NR_chmod,
#else
    __NR_fchmodat,
#endif
    /* The TAP's ring: the engine's pools registered with it as fixed
     * buffers at each serve and dropped after it
     * (io_uring_register(IORING_[UN]REGISTER_BUFFERS),
     * tap_uring_use_buffers()); at the end the ring's file dropped before
     * its fd closes (IORING_UNREGISTER_FILES, tap_uring_close()); then
     * exit_group() when main returns. The ring itself refuses any other
     * register operation (tap_uring.c). */
    __NR_io_uring_register,
    __NR_exit_group,
    /* abort() (an assert, glibc's own checks) signals the calling thread
     * with tgkill(getpid(), gettid(), SIGABRT) (read from glibc's
     * pthread_kill.c); tgkill is checked below. */
    __NR_getpid,
    __NR_gettid,
#ifdef SANDBOX_SANITIZER
    /* ASan and UBSan (make test-asan; measured with the filter logging
     * instead of killing, since LeakSanitizer cannot run under strace):
     * each new thread gets an alternate signal stack (and reads its CPU
     * set, allowed above); the leak check at exit runs a tracer child (clone,
     * checked below) that lists /proc/self/task, stops each thread with
     * ptrace() and checks on its parent, while the parent waits and yields. */
    __NR_sigaltstack,
    __NR_sched_yield,
    __NR_getppid,
    __NR_ptrace,
    __NR_wait4,
    __NR_lseek,
#ifdef __NR_open
    __NR_open,
#endif
#ifdef __NR_getdents
    __NR_getdents,
#else
    __NR_getdents64,
#endif
    /* A report (measured: tests/unit/test_sandbox.c in the ASan build)
     * opens the binary and reads /proc/self/exe to symbolize the stack;
     * ioctl(TCGETS) on stderr is checked below. */
    __NR_openat,
#ifdef __NR_readlink
    __NR_readlink,
#endif
    __NR_readlinkat,
    /* TSan (the helper built with SAN=thread, run by hand: Criterion
     * cannot start under TSan): its background thread sleeps and reads
     * the time, and resumes a sleep a SIGSTOP cut through
     * restart_syscall(). */
    __NR_nanosleep,
    __NR_gettimeofday,
    __NR_restart_syscall,
#endif
};

/* One classic-BPF program under construction. */
#define SANDBOX_BPF_MAX 512
struct sandbox_bpf {
	struct sock_filter insn[SANDBOX_BPF_MAX];
	unsigned n;	/* may pass SANDBOX_BPF_MAX: checked once at the end */
	unsigned calls; /* system calls it allows, for the log */
};

#define SANDBOX_KILL SECCOMP_RET_KILL_PROCESS

/* Where the low 32 bits of argument @i are: every check below is on an
 * int, a flag word or a pid, which the kernel truncates to 32 bits too.
 * Both supported architectures are little-endian. */
#define SANDBOX_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static void emit(struct sandbox_bpf *b, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (b->n < SANDBOX_BPF_MAX)
		b->insn[b->n] = (struct sock_filter){code, jt, jf, k};
	b->n++;
}

static void emit_ret(struct sandbox_bpf *b, uint32_t action)
{
	emit(b, BPF_RET | BPF_K, 0, 0, action);
}

static void emit_load(struct sandbox_bpf *b, uint32_t offset)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

/* If the call is @nr, end with @action; else go on. Expects the number in
 * the accumulator and leaves it there. */
static void emit_nr_action(struct sandbox_bpf *b, int nr, uint32_t action)
{
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)nr);
	emit_ret(b, action);
	b->calls += action == SECCOMP_RET_ALLOW;
}

/* If the call is @nr: allow it when (argument @arg & @mask) == @value,
 * else kill. Leaves the number in the accumulator when it is not @nr
 * (every path after the argument load returns). */
static void emit_nr_masked(struct sandbox_bpf *b, int nr, unsigned arg,
			   uint32_t mask, uint32_t value)
{
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 5, (uint32_t)nr);
	emit_load(b, SANDBOX_ARG_LO(arg));
	emit(b, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, value);
	emit_ret(b, SECCOMP_RET_ALLOW);
	emit_ret(b, SANDBOX_KILL);
	b->calls++;
}

/* socket(): a unix datagram socket (--socket binding anew after a client
 * left), or netlink with NETLINK_SOCK_DIAG (the peer watch of each
 * client); a unix stream socket only with --stream, whose --socket listens
 * anew after a client left. No stream socket otherwise, so no ssh-agent,
 * D-Bus or other service of the user's to talk to; no AF_INET, AF_PACKET
 * or other netlink family. The offsets count instructions from the one
 * after the jump. */
static void emit_socket(struct sandbox_bpf *b, bool stream)
{
	const uint32_t flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	/* Without --stream the second type is a datagram again: the same
	 * program, one type allowed. */
	const uint32_t other = stream ? SOCK_STREAM : SOCK_DGRAM;

	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 11, __NR_socket); /* 0 */
	emit_load(b, SANDBOX_ARG_LO(0));			/* 1 */
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, AF_UNIX);	/* 2: ->7 */
	emit_load(b, SANDBOX_ARG_LO(1));			/* 3 */
	emit(b, BPF_ALU | BPF_AND | BPF_K, 0, 0, ~flags);	/* 4 */
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 5, 0, SOCK_DGRAM);	/* 5: ->11 */
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 4, 3, other);      /* 6: ->11, 10 */
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, AF_NETLINK); /* 7: ->10 */
	emit_load(b, SANDBOX_ARG_LO(2));		      /* 8 */
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, NETLINK_SOCK_DIAG); /* 9 */
	emit_ret(b, SANDBOX_KILL);				     /* 10 */
	emit_ret(b, SECCOMP_RET_ALLOW);				     /* 11 */
	b->calls++;
}

/* --address-file (cli/common/owned_file.c, owned_file_replace()): each
 * change is written to a new PATH.tmp, opened with O_WRONLY | O_CREAT |
 * O_EXCL, then renamed over PATH; write(), fstat(), close() and unlink()
 * are on the plain list already. openat() is allowed only with those
 * three flags among its access mode, O_CREAT and O_EXCL, so the helper
 * can make a new file but never open one that exists, to read it or to
 * write it. rename() is the call glibc's rename() makes where the
 * architecture has it, else renameat(), else renameat2() (read from
 * glibc's sysdeps/unix/sysv/linux/rename.c); glibc's open() is openat()
 * on both architectures. */
static void emit_new_files(struct sandbox_bpf *b)
{
	emit_nr_masked(b, __NR_openat, 2, O_ACCMODE | O_CREAT | O_EXCL,
		       O_WRONLY | O_CREAT | O_EXCL);
#if defined(__NR_rename)
	emit_nr_action(b, __NR_rename, SECCOMP_RET_ALLOW);
#elif defined(__NR_renameat)
	emit_nr_action(b, __NR_renameat, SECCOMP_RET_ALLOW);
#else
	emit_nr_action(b, __NR_renameat2, SECCOMP_RET_ALLOW);
#endif
}

/* --stream only: the stream endpoint writes a batch with one sendmsg()
 * (engine/endpoint_stream.c); a --socket listens, takes its client with
 * accept() and, when the client has left, listens anew
 * (cli/common/vm_socket.c). glibc's accept() is the accept system call
 * where the architecture has one, else accept4(). */
static const int sandbox_stream_allowed[] = {
    __NR_sendmsg,
    __NR_listen,
#ifdef __NR_accept
    __NR_accept,
#endif
    __NR_accept4,
};

static void sandbox_build(struct sandbox_bpf *b, pid_t self, unsigned allow)
{
	const bool stream = allow & SANDBOX_STREAM;

	b->n = b->calls = 0;
	/* 1. Our architecture only, and on x86_64 not its x32 ABI. */
	emit_load(b, offsetof(struct seccomp_data, arch));
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SANDBOX_AUDIT_ARCH);
	emit_ret(b, SANDBOX_KILL);
	emit_load(b, offsetof(struct seccomp_data, nr));
#ifdef __X32_SYSCALL_BIT
	emit(b, BPF_JMP | BPF_JGE | BPF_K, 0, 1, __X32_SYSCALL_BIT);
	emit_ret(b, SANDBOX_KILL);
#endif
	/* 2. The plain list. */
	for (size_t i = 0;
	     i < sizeof(sandbox_allowed) / sizeof(*sandbox_allowed); i++)
		emit_nr_action(b, sandbox_allowed[i], SECCOMP_RET_ALLOW);
	for (size_t i = 0; stream && i < sizeof(sandbox_stream_allowed) /
					     sizeof(*sandbox_stream_allowed);
	     i++)
		emit_nr_action(b, sandbox_stream_allowed[i], SECCOMP_RET_ALLOW);
	/* 3. Calls allowed with some arguments only. */
	emit_socket(b, stream);
	/* Threads only (glibc's pthread_create() sets CLONE_THREAD): no
	 * fork(), so no process can outlive the helper holding its fds. */
#ifndef SANDBOX_SANITIZER
	emit_nr_masked(b, __NR_clone, 0, CLONE_THREAD, CLONE_THREAD);
#else
	/* LeakSanitizer's check at exit runs in a child that shares our
	 * memory but not our thread group (CLONE_VM, no CLONE_THREAD). */
	emit_nr_masked(b, __NR_clone, 0, CLONE_VM, CLONE_VM);
#endif
	emit_nr_action(b, __NR_clone3, SECCOMP_RET_ERRNO | ENOSYS);
	/* Thread stacks and malloc's arenas: never executable memory, so a
	 * hijacked helper cannot make room for code of its own. */
	emit_nr_masked(b, __NR_mmap, 2, PROT_EXEC, 0);
	emit_nr_masked(b, __NR_mprotect, 2, PROT_EXEC, 0);
	/* abort() and raise() signal a thread of this process only. */
	emit_nr_masked(b, __NR_tgkill, 0, 0xffffffffu, (uint32_t)self);
	/* pthread_setname_np() on the calling thread is prctl(PR_SET_NAME);
	 * no other prctl (no_new_privs cannot be undone anyway). */
#ifndef SANDBOX_SANITIZER
	emit_nr_masked(b, __NR_prctl, 0, 0xffffffffu, PR_SET_NAME);
#else
	/* LeakSanitizer reads and sets the dumpable flag, names its tracer
	 * and asks for a death signal. */
	emit_nr_action(b, __NR_prctl, SECCOMP_RET_ALLOW);
	/* A sanitizer's report asks whether stderr is a terminal (for
	 * colour): ioctl(TCGETS) only (measured: tests/unit/test_sandbox.c,
	 * an_asan_report_still_comes_out_under_the_filter). */
	emit_nr_masked(b, __NR_ioctl, 1, 0xffffffffu, TCGETS);
#endif
	if (allow & SANDBOX_NEW_FILES)
		emit_new_files(b);
	/* 4. Everything else. */
	emit_ret(b, SANDBOX_KILL);
}

/* Install the filter on every thread. Return: 0 or a negative errno with
 * @err filled. */
static int sandbox_install(unsigned allow, unsigned *calls, char *err,
			   size_t errlen)
{
	static struct sandbox_bpf b;
	uint32_t action = SANDBOX_KILL;
	long r;

	/* SECCOMP_RET_KILL_PROCESS is Linux 4.14; before, an unknown action
	 * would only kill the calling thread. */
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
		return errmsg_fail(err, errlen, -errno,
				   "seccomp: this kernel cannot kill a process "
				   "on a forbidden system call (Linux 4.14 "
				   "can): %s; pass --no-sandbox to run without "
				   "the filter",
				   strerror(errno));
	sandbox_build(&b, getpid(), allow);
	if (b.n > SANDBOX_BPF_MAX)
		return errmsg_fail(err, errlen, -E2BIG,
				   "seccomp: the filter needs %u instructions, "
				   "more than the %d built for",
				   b.n, SANDBOX_BPF_MAX);
	struct sock_fprog prog = {.len = (unsigned short)b.n, .filter = b.insn};
	/* TSYNC: every thread gets the filter, also any a library started
	 * (a sanitizer's); the call fails rather than leave one out, and
	 * returns that thread's id. */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r > 0)
		return errmsg_fail(err, errlen, -EBUSY,
				   "seccomp: thread %ld could not take the "
				   "system call filter; pass --no-sandbox to "
				   "run without it",
				   r);
	if (r < 0)
		return errmsg_fail(err, errlen, -errno,
				   "seccomp: cannot install the system call "
				   "filter: %s; pass --no-sandbox to run "
				   "without it",
				   strerror(errno));
	*calls = b.calls;
	return 0;
}
#endif /* SANDBOX_AUDIT_ARCH */

int sandbox_before_privdrop(char *err, size_t errlen)
{
	struct __user_cap_header_struct head = {
	    .version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	if (syscall(SYS_capget, &head, data) != 0)
		return errmsg_fail(err, errlen, -errno, "capget: %s",
				   strerror(errno));
	/* The inheritable set is kept across setresuid() and could pass a
	 * capability to a program whose file grants it: empty it (that
	 * needs no privilege). */
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		data[i].inheritable = 0;
	if (syscall(SYS_capset, &head, data) != 0)
		return errmsg_fail(err, errlen, -errno,
				   "capset (emptying the inheritable "
				   "capabilities): %s",
				   strerror(errno));
	/* The ambient set needs Linux 4.3: EINVAL before, nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return errmsg_fail(err, errlen, -errno,
				   "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s",
				   strerror(errno));

	if (!(data[CAP_TO_INDEX(CAP_SETPCAP)].effective &
	      CAP_TO_MASK(CAP_SETPCAP)))
		return 1; /* not root: the bounding set is not ours to empty */
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last
	 * capability, which may be newer than our headers. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return errmsg_fail(err, errlen, -errno,
					   "prctl(PR_CAPBSET_DROP, %d): %s",
					   cap, strerror(errno));
	return 0;
}

int sandbox_enter(bool filter, unsigned allow, char *what, size_t whatlen,
		  char *err, size_t errlen)
{
	/* glibc reads /etc/localtime at the first localtime_r() (the stats
	 * line's time stamp, engine/stats.c): do it now, while files may
	 * still be opened; later calls use what was read (measured: an
	 * openat() of /etc/localtime after start without this). */
	tzset();
	/* Before the filter, which needs it when not CAP_SYS_ADMIN; for good:
	 * no execve() can raise privileges again (setuid bits and file
	 * capabilities are ignored), even if the filter is off. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return errmsg_fail(err, errlen, -errno,
				   "prctl(PR_SET_NO_NEW_PRIVS): %s",
				   strerror(errno));
	if (!filter) {
		snprintf(what, whatlen,
			 "no new privileges; no system call filter "
			 "(--no-sandbox)");
		return 0;
	}
#ifdef SANDBOX_AUDIT_ARCH
	unsigned calls = 0;
	int r = sandbox_install(allow, &calls, err, errlen);

	if (r)
		return r;
	snprintf(
	    what, whatlen,
	    "no new privileges; system call filter on (%u calls allowed%s, "
	    "any other kills the helper with SIGSYS)",
	    calls,
	    (allow & SANDBOX_NEW_FILES) ? ", new files for --address-file"
					: "");
	return 0;
#else
	(void)allow;
	return errmsg_fail(err, errlen, -ENOSYS,
			   "no system call filter is built for this "
			   "architecture (only x86_64 and aarch64); pass "
			   "--no-sandbox to run without it");
#endif
}
