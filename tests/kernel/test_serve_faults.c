// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve under attack and under a hostile config, each case a fault found
 * by attacking it: slow clients must not lock /metrics out; a bad port is
 * refused and the address bound is the one logged; a FIFO at the config
 * path and a resolver that never answers must not stop the loop on
 * SIGHUP. "The loop runs" is asserted as what a user sees: scrapes
 * answered and records written while the attack goes on. Waits are
 * generous (a shared 2-core machine); no assertion is on speed alone.
 * Needs root and BPF; fails, never skips, without them.
 */
#include "testutil.h"
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ATTACKERS 100
#define SILENT 30 /* of them: connect and send nothing */
/*
 * A fake name server's address: on loopback, 127.83.X.Y from our pid, so
 * that two runs at once do not share its port 53.
 */
static char dns_addr[32];

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* What a serve under a resolver of the test's sees at /etc: its resolv.conf and nsswitch.conf. */
struct etc_files {
	const char *resolv, *nss;
};

/*
 * A prep step: a mount namespace of the child's own where the test's files
 * are bound over /etc/resolv.conf and /etc/nsswitch.conf; the host's stay.
 */
static int private_etc(const void *arg)
{
	const struct etc_files *e = arg;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(e->resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) ||
	    mount(e->nss, "/etc/nsswitch.conf", NULL, MS_BIND, NULL)) {
		dprintf(2, "test: cannot make the mount namespace: %m\n");
		return -1;
	}
	return 0;
}

/*
 * @argv with stderr to @err; with @resolv, in a mount namespace of its
 * own where /etc/resolv.conf and /etc/nsswitch.conf are the test's.
 */
static pid_t spawn(char *const argv[], const char *err, const char *resolv, const char *nss)
{
	struct etc_files e = { resolv, nss };

	return harness__spawn_prep(argv, NULL, err, resolv ? private_etc : NULL, &e);
}

/* Its exit code, 128 + N when signal N killed it; past @timeout_s it is killed and fails. */
static int wait_exit(pid_t p, int timeout_s)
{
	int st = harness__wait_s(p, timeout_s);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool wait_for_text(const char *path, const char *text, int timeout_ms)
{
	return harness__wait_text(path, text, timeout_ms) >= 0;
}

/* The port of serve's "/metrics on http://127.0.0.1:PORT/metrics" line; 0 when none. */
static int logged_port(const char *err)
{
	char *log = harness__read(err), *at = strstr(log, "/metrics on http://127.0.0.1:");
	int port = 0;

	if (at)
		port = atoi(at + strlen("/metrics on http://127.0.0.1:"));
	free(log);
	return port;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * GET /metrics; true when a 200 with jobtrace's families came back within
 * @timeout_ms (a bound on a hang, not a speed asserted: scrapes take ms).
 */
static bool scrape_text(int port, int timeout_ms, char **text)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	unsigned long long end = harness__mono_ms() + (unsigned long long)timeout_ms;
	size_t len = 0, cap = 1 << 22;
	char *buf = malloc(cap + 1);
	bool ok = false;
	int fd = connect_to(port);

	assert_non_null(buf);
	if (fd < 0)
		goto out;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		goto out_close;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = (long long)(end - harness__mono_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			goto out_close;
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap)
			break;
	}
	buf[len] = '\0';
	ok = !strncmp(buf, "HTTP/1.", 7) && strstr(buf, " 200 ") &&
	     strstr(buf, "jobtrace_events_lost_total");
out_close:
	close(fd);
out:
	if (ok && text)
		*text = buf;
	else
		free(buf);
	return ok;
}

static bool scrape(int port, int timeout_ms)
{
	return scrape_text(port, timeout_ms, NULL);
}

/* serve with /metrics on 127.0.0.1:0 (and @extra), its log in @err; its port. */
static int start_serve(pid_t *pid, const char *err, const char *conf, const char *resolv,
		       const char *nss, const char *extra1, const char *extra2)
{
	char *argv[] = { H.jobtrace, "serve", "--config", (char *)conf, "-g", "tree", "-i", "0.5",
			 "--listen", "127.0.0.1:0", (char *)extra1, (char *)extra2, NULL };
	int port;

	*pid = spawn(argv, err, resolv, nss);
	if (!wait_for_text(err, "jobtrace: serving", 30000)) {
		char *e = harness__read(err);

		fail_msg("serve did not start:\n%s", e);
	}
	port = logged_port(err);
	assert_true(port > 0);
	return port;
}

/*
 * `--listen 127.0.0.1:0` logs the port the kernel chose, and /metrics
 * answers there; a port past 65535 is a usage error (it bound 99999 mod
 * 65536, and logged 99999).
 */
static void test_listen_port(void **state)
{
	char err[300], *log;
	char *bad[] = { H.jobtrace, "serve", "--config", "/dev/null", "--listen", "127.0.0.1:99999",
			NULL };
	pid_t serve;
	int port;

	snprintf(err, sizeof(err), "%s/port.err", H.tmpdir);
	port = start_serve(&serve, err, "/dev/null", NULL, NULL, NULL, NULL);
	print_message("  logged port %d\n", port);
	assert_true(scrape(port, 10000));
	log = harness__read(err);
	assert_null(strstr(log, "127.0.0.1:0/"));
	free(log);
	kill(serve, SIGTERM);
	assert_int_equal(wait_exit(serve, 20), 0);

	assert_int_equal(wait_exit(spawn(bad, err, NULL, NULL), 20), 2);
	log = harness__read(err);
	assert_non_null(strstr(log, "jobtrace: --listen takes a port from 0 to 65535, not "
				    "'127.0.0.1:99999'"));
	free(log);
}

/*
 * ATTACKERS connections, most sending one byte then nothing, the rest
 * nothing at all: more than serve's slots. A scrape made while they are
 * all still connected is answered. One that trickles a byte every 300 ms
 * (which an idle timeout never ends) is closed all the same.
 */
static void test_slow_clients(void **state)
{
	char err[300];
	int fds[ATTACKERS], port, trickle, answered = 0;
	unsigned long long t0;
	bool closed = false;
	double slow, full;
	char *text;
	pid_t serve;

	snprintf(err, sizeof(err), "%s/slow.err", H.tmpdir);
	port = start_serve(&serve, err, "/dev/null", NULL, NULL, NULL, NULL);
	assert_true(scrape(port, 10000));

	for (int i = 0; i < ATTACKERS; i++) {
		fds[i] = connect_to(port);
		assert_true(fds[i] >= 0);
		if (i >= SILENT)
			assert_int_equal(write(fds[i], "G", 1), 1);
	}
	harness__sleep_ms(300); /* serve has accepted what its backlog held */
	/* Three scrapes, each while every attacker still holds its socket. */
	for (int i = 0; i < 3; i++)
		answered += scrape(port, 5000);
	print_message("  %d of 3 scrapes answered under %d slow clients\n", answered, ATTACKERS);
	assert_int_equal(answered, 3);
	for (int i = 0; i < ATTACKERS; i++)
		close(fds[i]);

	/* A request that never ends: one byte every 300 ms. */
	trickle = connect_to(port);
	assert_true(trickle >= 0);
	t0 = harness__mono_ms();
	while (!closed && harness__mono_ms() - t0 < 20000) {
		struct pollfd p = { .fd = trickle, .events = POLLIN };
		char c;

		if (send(trickle, "G", 1, MSG_NOSIGNAL) != 1)
			closed = true; /* reset: the server closed it */
		else if (poll(&p, 1, 300) == 1 && recv(trickle, &c, 1, 0) <= 0)
			closed = true;
	}
	print_message("  a trickling client closed after %llu ms\n", harness__mono_ms() - t0);
	close(trickle);
	assert_true(closed);
	/* What serve did is in /metrics for whoever watches it. */
	assert_true(scrape_text(port, 10000, &text));
	/* -1 when absent: fails the comparisons below. */
	slow = harness__sample(text, "jobtrace_http_connections_dropped_total{reason=\"slow\"}",
			       -1);
	full = harness__sample(text, "jobtrace_http_connections_dropped_total{reason=\"full\"}",
			       -1);
	print_message("  dropped: %.0f slow, %.0f for a newer one\n", slow, full);
	free(text);
	assert_true(slow >= 1); /* the trickler at least */
	assert_true(full >= 1); /* more clients than slots (36 here, as accepts go) */

	kill(serve, SIGTERM);
	assert_int_equal(wait_exit(serve, 20), 0);
	/*
	 * libmicrohttpd said a line for each connection a client dropped: the
	 * attackers' filled serve's log (200 half-sent requests, 200 lines).
	 * A few, then one that says the rest are not shown.
	 */
	{
		char *log = harness__read(err);
		int lines = 0;

		/* Its own lines (not jobtrace's words) or ours of its messages. */
		for (const char *p = log; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (strncmp(p, "jobtrace: ", 10) || memmem(p, n, "libmicrohttpd", 13))
				lines++;
			p += n + (nl ? 1 : 0);
		}
		print_message("  %d lines of libmicrohttpd's in serve's log\n", lines);
		if (lines > 6)
			fail_msg("%d lines of libmicrohttpd's:\n%s", lines, log);
		free(log);
	}
}

/*
 * SIGHUP with a FIFO at the config path: serve opened it and waited for a
 * writer, its loop stopped. Now it is refused at once, and /metrics and
 * the records go on.
 */
static void test_fifo_config_reload(void **state)
{
	char conf[300], err[300], want[400];
	pid_t serve;
	int port;

	snprintf(conf, sizeof(conf), "%s/fifo.conf", H.tmpdir);
	snprintf(err, sizeof(err), "%s/fifo.err", H.tmpdir);
	write_file(conf, "interval = 0.5\n", 0644);
	port = start_serve(&serve, err, conf, NULL, NULL, NULL, NULL);
	assert_int_equal(unlink(conf), 0);
	assert_int_equal(mkfifo(conf, 0600), 0);
	assert_int_equal(kill(serve, SIGHUP), 0);
	harness__sleep_ms(300);
	for (int i = 0; i < 3; i++) {
		assert_true(scrape(port, 5000));
		harness__sleep_ms(300);
	}
	snprintf(want, sizeof(want),
		 "jobtrace: %s: not a regular file\n"
		 "jobtrace: reload refused: serve runs on with its config\n",
		 conf);
	assert_true(wait_for_text(err, want, 5000));
	kill(serve, SIGTERM);
	assert_int_equal(wait_exit(serve, 20), 0);
}

static int udp_bound(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		fail_msg("cannot bind %s:%d: %s", addr, port, strerror(errno));
	return fd;
}

static int udp_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

/* Datagrams waiting on @fd, taken. */
static int drain(int fd)
{
	char buf[2048];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/*
 * A reload whose ApMon target is a name, with a resolver that never
 * answers (a UDP port 53 here that takes the queries and says nothing, named
 * by /etc/resolv.conf in serve's own mount namespace): the lookup took
 * 5 s and more inside the loop, no scrape answered, no record written.
 * Now scrapes are answered while the lookup hangs, the old target keeps
 * its datagrams, and when the lookup fails the old target stays.
 */
static void test_resolver_hangs(void **state)
{
	char conf[300], err[300], resolv[300], nss[300], text[400], want[400];
	int dns, apm = udp_bound("127.0.0.1", 0), port, answered = 0;
	unsigned long long t0;
	pid_t serve;

	snprintf(conf, sizeof(conf), "%s/dns.conf", H.tmpdir);
	snprintf(err, sizeof(err), "%s/dns.err", H.tmpdir);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", H.tmpdir);
	snprintf(nss, sizeof(nss), "%s/nsswitch.conf", H.tmpdir);
	snprintf(dns_addr, sizeof(dns_addr), "127.83.%d.%d", (getpid() >> 8) & 0xff,
		 (getpid() & 0xff) | 1);
	dns = udp_bound(dns_addr, 53);
	/* One try of 5 s: the old code's loop stood still that long. */
	snprintf(text, sizeof(text), "nameserver %s\noptions timeout:5 attempts:1\n", dns_addr);
	write_file(resolv, text, 0644);
	write_file(nss, "hosts: files dns\n", 0644);
	snprintf(text, sizeof(text), "interval = 0.5\napmon = 127.0.0.1:%d\n", udp_port(apm));
	write_file(conf, text, 0644);
	port = start_serve(&serve, err, conf, resolv, nss, NULL, NULL);
	assert_true(wait_for_text(err, "jobtrace: serving", 1000));
	harness__sleep_ms(1200);
	assert_true(drain(apm) > 0); /* the first target works */

	snprintf(text, sizeof(text), "interval = 0.5\napmon = apmon.jobtrace-test.example:%d\n",
		 udp_port(apm));
	write_file(conf, text, 0644);
	drain(dns);
	assert_int_equal(kill(serve, SIGHUP), 0);
	t0 = harness__mono_ms();
	/* Within the resolver's 5 s: scrapes answered, datagrams to the old target. */
	while (harness__mono_ms() - t0 < 3500) {
		answered += scrape(port, 2000);
		harness__sleep_ms(250);
	}
	print_message("  %d scrapes answered while the lookup hung\n", answered);
	assert_true(answered >= 5);
	/* The reload was told at once, the name still being looked up. */
	assert_true(wait_for_text(err, "1 apmon target(s) (1 being looked up", 1000));
	assert_true(drain(dns) > 0); /* the lookup did go to the silent resolver */
	assert_true(drain(apm) > 0);
	/* It fails; the old target stays. */
	snprintf(want, sizeof(want),
		 "jobtrace: reload: apmon: cannot look up apmon.jobtrace-test.example:%d: ",
		 udp_port(apm));
	assert_true(wait_for_text(err, want, 30000));
	assert_true(wait_for_text(err, "; ApMon goes on to the targets it had\n", 1000));
	drain(apm);
	harness__sleep_ms(1200);
	assert_true(drain(apm) > 0);
	assert_true(scrape(port, 5000));

	kill(serve, SIGTERM);
	assert_int_equal(wait_exit(serve, 20), 0);
	close(dns);
	close(apm);
}

static int setup(void **state)
{
	assert_int_equal(harness__setup("faults"), 0);
	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: the serve fault tests load BPF programs: they need root\n");
		return -1;
	}
	return 0;
}

static int stop_running(void **state)
{
	harness__kill_running();
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_listen_port, stop_running),
		cmocka_unit_test_teardown(test_slow_clients, stop_running),
		cmocka_unit_test_teardown(test_fifo_config_reload, stop_running),
		cmocka_unit_test_teardown(test_resolver_hangs, stop_running),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
