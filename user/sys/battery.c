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

struct name_add {
	struct name_list *l;
	size_t cap;
};

static int add_name(const char *name, void *ctx)
{
	struct name_add *a = ctx;
	struct name_list *l = a->l;
	int err;

	if (name[0] == '.')
		return 0;
	if (l->n == a->cap) {
		err = util__grow(&l->v, &a->cap, sizeof(*l->v), 8, UTIL_NO_MAX);
		if (err)
			return err;
	}
	l->v[l->n] = strdup(name);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* The entries of class/power_supply, sorted: "first" must not mean readdir order. */
static int list_supplies(const struct sysfs_dir *class_dir, struct name_list *l)
{
	struct name_add a = { .l = l };
	int err;

	l->v = NULL;
	l->n = 0;
	err = sysfs_dir__list(class_dir, add_name, &a);
	if (err) {
		name_list__free(l);
		return err;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_name);
	return 0;
}

static bool attr_is(const struct sysfs_dir *d, const char *attr, const char *want)
{
	char buf[64];

	return !sysfs_dir__read_str(d, attr, buf, sizeof(buf)) && !strcmp(buf, want);
}

/*
 * A battery that runs the machine: type "Battery" (a name like BAT0 proves
 * nothing: "macsmc-battery", "sbs-5-000b"), not scope "Device" (the battery
 * of a wireless mouse or headset, which hid-input registers as a Battery
 * too), and not an empty bay (present = 0, as ThinkPads show BAT1).
 */
static bool is_system_battery(const struct sysfs_dir *fd)
{
	long long present;

	if (!attr_is(fd, "type", "Battery") || attr_is(fd, "scope", "Device"))
		return false;
	return sysfs_dir__read_s64(fd, "present", &present) || present != 0;
}

/* A positive attribute as a double; false when absent, unreadable or <= 0. */
static bool read_pos(const struct sysfs_dir *fd, const char *attr, double *v)
{
	long long x;

	if (sysfs_dir__read_s64(fd, attr, &x) || x <= 0)
		return false;
	*v = (double)x;
	return true;
}

/*
 * Some drivers report power_now and current_now negative while discharging
 * (the ABI's sign convention for current_now); the magnitude is the drain.
 */
static bool read_drain(const struct sysfs_dir *fd, const char *attr, double *v)
{
	long long x;

	if (sysfs_dir__read_s64(fd, attr, &x) || x == 0)
		return false;
	*v = fabs((double)x);
	return true;
}

static void read_percent(const struct sysfs_dir *fd, struct battery_status *b)
{
	double now, full;
	long long cap;

	b->percent = NAN;
	if (read_pos(fd, "energy_now", &now) && read_pos(fd, "energy_full", &full)) {
		b->percent_source = BATTERY_SRC_ENERGY;
	} else if (read_pos(fd, "charge_now", &now) && read_pos(fd, "charge_full", &full)) {
		b->percent_source = BATTERY_SRC_CHARGE;
	} else {
		if (!sysfs_dir__read_s64(fd, "capacity", &cap) && cap >= 0) {
			b->percent = cap > 100 ? 100.0 : (double)cap;
			b->percent_source = BATTERY_SRC_CAPACITY;
		}
		return;
	}
	/* A gauge that is recalibrating can report now > full. */
	b->percent = fmin(100.0, 100.0 * now / full);
}

static void read_time_left(const struct sysfs_dir *fd, struct battery_status *b, const char *status)
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
	if (!sysfs_dir__read_s64(fd, "time_to_empty_now", &tte) && tte > 0) {
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
static enum battery_plugged read_mains(const struct sysfs_dir *class_dir,
				       const struct name_list *l)
{
	enum battery_plugged plugged = BATTERY_PLUGGED_UNKNOWN;

	for (size_t i = 0; i < l->n; i++) {
		struct sysfs_dir d, *fd = &d;
		long long online;

		if (sysfs_dir__open(class_dir, l->v[i], &d))
			continue;
		if (attr_is(fd, "type", "Mains") && !sysfs_dir__read_s64(fd, "online", &online)) {
			if (online)
				plugged = BATTERY_PLUGGED_YES;
			else if (plugged == BATTERY_PLUGGED_UNKNOWN)
				plugged = BATTERY_PLUGGED_NO;
		}
		sysfs_dir__close(&d);
	}
	return plugged;
}

static int scan_sys(const struct sysfs_dir *sys, struct battery_status *b)
{
	struct sysfs_dir class_dir, bat, *fd = NULL;
	struct name_list l;
	char status[32] = "";
	int err;

	memset(b, 0, sizeof(*b));
	b->percent = NAN;
	err = sysfs_dir__open(sys, "class/power_supply", &class_dir);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = list_supplies(&class_dir, &l);
	if (err)
		goto close_class;
	for (size_t i = 0; i < l.n && !fd; i++) {
		if (sysfs_dir__open(&class_dir, l.v[i], &bat))
			continue;
		if (is_system_battery(&bat)) {
			snprintf(b->name, sizeof(b->name), "%s", l.v[i]);
			fd = &bat;
			break;
		}
		sysfs_dir__close(&bat);
	}
	if (!fd)
		goto free_list;

	b->present = true;
	read_percent(fd, b);
	if (sysfs_dir__read_str(fd, "status", status, sizeof(status)))
		status[0] = '\0';
	b->plugged = read_mains(&class_dir, &l);
	/* No Mains supply to ask: the battery's own status is the next best. */
	if (b->plugged == BATTERY_PLUGGED_UNKNOWN) {
		if (!strcmp(status, "Charging") || !strcmp(status, "Full"))
			b->plugged = BATTERY_PLUGGED_YES;
		else if (!strcmp(status, "Discharging"))
			b->plugged = BATTERY_PLUGGED_NO;
	}
	read_time_left(fd, b, status);
	sysfs_dir__close(fd);

free_list:
	name_list__free(&l);
close_class:
	sysfs_dir__close(&class_dir);
	return err;
}

int battery__read(int sys_fd, struct battery_status *b)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_fd);
	return scan_sys(&sys, b);
}

int battery__parse(const void *img, size_t len, struct battery_status *b)
{
	struct sysfs_dir sys;

	sysfs_dir__from_image(&sys, img, len);
	return scan_sys(&sys, b);
}
