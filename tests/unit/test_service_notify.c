// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * systemd's notification protocol as serve speaks it: $NOTIFY_SOCKET's two
 * forms (a path; '@' for the abstract namespace, whose name must not gain a
 * NUL), the limits of sun_path, and the datagrams themselves, received on a
 * socket the test binds, byte for byte.
 */
#include "testutil.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/service_notify.h"

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static void test_address_forms(void **state)
{
	struct sockaddr_un sa;
	socklen_t len = 0;

	assert_int_equal(service_notify__address("/run/systemd/notify", &sa, &len), 0);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_string_equal(sa.sun_path, "/run/systemd/notify");
	assert_int_equal(len, SUN_OFF + strlen("/run/systemd/notify") + 1);

	/* Abstract: a leading NUL, then the name, and nothing after it counted. */
	assert_int_equal(service_notify__address("@jt/notify", &sa, &len), 0);
	assert_int_equal(sa.sun_path[0], '\0');
	assert_memory_equal(sa.sun_path + 1, "jt/notify", 9);
	assert_int_equal(len, SUN_OFF + 1 + 9);

	assert_int_equal(service_notify__address(NULL, &sa, &len), -ENOENT);
	assert_int_equal(service_notify__address("", &sa, &len), -ENOENT);
	assert_int_equal(service_notify__address("run/notify", &sa, &len), -EAFNOSUPPORT);
	assert_int_equal(service_notify__address("vsock:2:1234", &sa, &len), -EAFNOSUPPORT);
}

/* sun_path holds 108 bytes: a path and its NUL, or NUL and an abstract name. */
static void test_address_lengths(void **state)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	struct sockaddr_un sa;
	socklen_t len;
	char name[200];

	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[max - 1] = '\0';
	assert_int_equal(service_notify__address(name, &sa, &len), 0);
	assert_int_equal(len, sizeof(sa));
	name[max - 1] = 'a';
	name[max] = '\0';
	assert_int_equal(service_notify__address(name, &sa, &len), -ENAMETOOLONG);

	name[0] = '@';
	assert_int_equal(service_notify__address(name, &sa, &len), 0);
	assert_int_equal(len, sizeof(sa));
	name[max] = 'a';
	name[max + 1] = '\0';
	assert_int_equal(service_notify__address(name, &sa, &len), -ENAMETOOLONG);
}

/* A datagram socket bound at @name (either form); its fd. */
static int listener(const char *name)
{
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_un sa;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(service_notify__address(name, &sa, &len), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	assert_int_equal(n, strlen(want)); /* no NUL, nothing more */
	assert_memory_equal(buf, want, n);
}

static void test_send_abstract_and_path(void **state)
{
	char abstract[64], dir[] = "/tmp/jobtrace-notify-XXXXXX", path[128];
	int fd;

	snprintf(abstract, sizeof(abstract), "@jobtrace-test-notify-%d", (int)getpid());
	fd = listener(abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	assert_int_equal(service_notify__send("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	assert_int_equal(service_notify__send("STOPPING=1"), 1);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
	/* Nobody bound there any more: told, not ignored. */
	assert_int_equal(service_notify__send("READY=1"), -ECONNREFUSED);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(service_notify__send("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	close(fd);
	unlink(path);
	rmdir(dir);

	/* Run by hand: no manager, nothing sent, no error. */
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(service_notify__send("READY=1"), 0);
}

/* RELOADING=1 carries CLOCK_MONOTONIC in microseconds, as systemd 253 checks. */
static void test_reloading(void **state)
{
	char name[64], buf[128];
	unsigned long long usec;
	struct timespec t0, t1;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "@jobtrace-test-reload-%d", (int)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(service_notify__reloading(), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
	assert_true(usec >= (unsigned long long)t0.tv_sec * 1000000 + t0.tv_nsec / 1000);
	assert_true(usec <= (unsigned long long)t1.tv_sec * 1000000 + t1.tv_nsec / 1000);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_forms),
		cmocka_unit_test(test_address_lengths),
		cmocka_unit_test(test_send_abstract_and_path),
		cmocka_unit_test(test_reloading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
