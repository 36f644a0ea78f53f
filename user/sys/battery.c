// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The system battery from /sys/class/power_supply
 * (Documentation/ABI/testing/sysfs-class-power). Units, as
 * include/linux/power_supply.h states them: µWh, µAh, µW, µA and seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/battery.h"
#include "jobtrace/util.h"
#include "jobtrace/sysfs_attr.h"

struct name_list {
	char **v;
	size_t n;
};

static void name_list__free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of class/power_supply, sorted: "first" must not mean readdir order. */
static int list_supplies(int class_fd, struct name_list *l)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int err = 0;

	l->v = NULL;
	l->n = 0;
	dir = util__opendir_at(class_fd, ".");
	if (!dir)
		return -errno;
	while ((errno = 0, de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (l->n == cap) {
			err = util__grow(&l->v, &cap, sizeof(*l->v), 8, UTIL_NO_MAX);
			if (err)
				goto close_dir;
		}
		l->v[l->n] = strdup(de->d_name);
		if (!l->v[l->n]) {
			err = -ENOMEM;
			goto close_dir;
		}
		l->n++;
	}
	if (errno)
		err = -errno;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_name);

close_dir:
	closedir(dir);
	if (err)
		name_list__free(l);
	return err;
}

static bool attr_is(int dirfd, const char *attr, const char *want)
{
	char buf[64];

	return !sysfs_attr__read_str(dirfd, attr, buf, sizeof(buf)) && !strcmp(buf, want);
}

/*
 * A battery that runs the machine: type "Battery" (a name like BAT0 proves
 * nothing: "macsmc-battery", "sbs-5-000b"), not scope "Device" (the battery
 * of a wireless mouse or headset, which hid-input registers as a Battery
 * too), and not an empty bay (present = 0, as ThinkPads show BAT1).
 */
static bool is_system_battery(int fd)
{
	long long present;

	if (!attr_is(fd, "type", "Battery") || attr_is(fd, "scope", "Device"))
		return false;
	return sysfs_attr__read_s64(fd, "present", &present) || present != 0;
}

/* A positive attribute as a double; false when absent, unreadable or <= 0. */
static bool read_pos(int fd, const char *attr, double *v)
{
	long long x;

	if (sysfs_attr__read_s64(fd, attr, &x) || x <= 0)
		return false;
	*v = (double)x;
	return true;
}

/*
 * Some drivers report power_now and current_now negative while discharging
 * (the ABI's sign convention for current_now); the magnitude is the drain.
 */
static bool read_drain(int fd, const char *attr, double *v)
{
	long long x;

	if (sysfs_attr__read_s64(fd, attr, &x) || x == 0)
		return false;
	*v = fabs((double)x);
	return true;
}

static void read_percent(int fd, struct battery_status *b)
{
	double now, full;
	long long cap;

	b->percent = NAN;
	if (read_pos(fd, "energy_now", &now) && read_pos(fd, "energy_full", &full)) {
		b->percent_source = BATTERY_SRC_ENERGY;
	} else if (read_pos(fd, "charge_now", &now) && read_pos(fd, "charge_full", &full)) {
		b->percent_source = BATTERY_SRC_CHARGE;
	} else {
		if (!sysfs_attr__read_s64(fd, "capacity", &cap) && cap >= 0) {
			b->percent = cap > 100 ? 100.0 : (double)cap;
			b->percent_source = BATTERY_SRC_CAPACITY;
		}
		return;
	}
	/* A gauge that is recalibrating can report now > full. */
	b->percent = fmin(100.0, 100.0 * now / full);
}

static void read_time_left(int fd, struct battery_status *b, const char *status)
{
	long long tte;
	double now, drain;

	if (b->plugged == BATTERY_PLUGGED_YES || !strcmp(status, "Charging") ||
	    !strcmp(status, "Full")) {
		b->time = BATTERY_TIME_UNLIMITED;
		return;
	}
	/*
	 * time_to_empty_now is in seconds (include/linux/power_supply.h: "time
	 * ... in seconds"; sysfs-class-power: "Reports ... in seconds"). psutil
	 * multiplies it by 60 as if it were minutes; we take it as it is.
	 */
	if (!sysfs_attr__read_s64(fd, "time_to_empty_now", &tte) && tte > 0) {
		b->time = BATTERY_TIME_KNOWN;
		b->time_source = BATTERY_SRC_TIME_TO_EMPTY;
		b->time_left_s = (uint64_t)tte;
		return;
	}
	/*
	 * Energy over power (µWh / µW) or charge over current (µAh / µA), in
	 * hours. Never energy over current: the units do not divide to time.
	 */
	if (read_pos(fd, "energy_now", &now) && read_drain(fd, "power_now", &drain)) {
		b->time_source = BATTERY_SRC_ENERGY;
	} else if (read_pos(fd, "charge_now", &now) && read_drain(fd, "current_now", &drain)) {
		b->time_source = BATTERY_SRC_CHARGE;
	} else {
		b->time = BATTERY_TIME_UNKNOWN;
		return;
	}
	b->time = BATTERY_TIME_KNOWN;
	b->time_left_s = (uint64_t)floor(now * 3600.0 / drain);
}

/* Mains supplies' online: yes if any is online, no if all read 0, else unknown. */
static enum battery_plugged read_mains(int class_fd, const struct name_list *l)
{
	enum battery_plugged plugged = BATTERY_PLUGGED_UNKNOWN;

	for (size_t i = 0; i < l->n; i++) {
		int fd = openat(class_fd, l->v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		long long online;

		if (fd < 0)
			continue;
		if (attr_is(fd, "type", "Mains") && !sysfs_attr__read_s64(fd, "online", &online)) {
			if (online)
				plugged = BATTERY_PLUGGED_YES;
			else if (plugged == BATTERY_PLUGGED_UNKNOWN)
				plugged = BATTERY_PLUGGED_NO;
		}
		close(fd);
	}
	return plugged;
}

int battery__read(int sys_fd, struct battery_status *b)
{
	struct name_list l;
	char status[32] = "";
	int class_fd, fd = -1, err;

	memset(b, 0, sizeof(*b));
	b->percent = NAN;
	class_fd = openat(sys_fd, "class/power_supply", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (class_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = list_supplies(class_fd, &l);
	if (err)
		goto close_class;
	for (size_t i = 0; i < l.n && fd < 0; i++) {
		fd = openat(class_fd, l.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_system_battery(fd)) {
			snprintf(b->name, sizeof(b->name), "%s", l.v[i]);
			break;
		}
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		goto free_list;

	b->present = true;
	read_percent(fd, b);
	if (sysfs_attr__read_str(fd, "status", status, sizeof(status)))
		status[0] = '\0';
	b->plugged = read_mains(class_fd, &l);
	/* No Mains supply to ask: the battery's own status is the next best. */
	if (b->plugged == BATTERY_PLUGGED_UNKNOWN) {
		if (!strcmp(status, "Charging") || !strcmp(status, "Full"))
			b->plugged = BATTERY_PLUGGED_YES;
		else if (!strcmp(status, "Discharging"))
			b->plugged = BATTERY_PLUGGED_NO;
	}
	read_time_left(fd, b, status);
	close(fd);

free_list:
	name_list__free(&l);
close_class:
	close(class_fd);
	return err;
}
