// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Temperatures and fans from /sys/class/hwmon (Documentation/hwmon/sysfs-interface.rst),
 * with /sys/class/thermal zones as the fallback when no chip has a temperature.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/hwmon.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* sysfs indices are small; a bound keeps "%u" and the arrays honest. */
#define MAX_INDEX 100000

struct index_list {
	unsigned int *v;
	size_t n;
	size_t cap;
};

static int index_list__add(struct index_list *l, unsigned int idx)
{
	int err;

	if (l->n == l->cap) {
		err = util__grow(&l->v, &l->cap, sizeof(*l->v), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	l->v[l->n++] = idx;
	return 0;
}

static void index_list__free(struct index_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The N of a name "<prefix>N<suffix>", or -1. Only plain decimal digits count. */
static long match_index(const char *name, const char *prefix, const char *suffix)
{
	size_t plen = strlen(prefix);
	const char *p = name + plen;
	long idx = 0;

	if (strncmp(name, prefix, plen) || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		idx = idx * 10 + (*p - '0');
		if (idx >= MAX_INDEX)
			return -1;
	}
	return strcmp(p, suffix) ? -1 : idx;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

struct index_match {
	const char *prefix, *suffix;
	struct index_list *l;
};

static int add_match(const char *name, void *ctx)
{
	struct index_match *m = ctx;
	long idx = match_index(name, m->prefix, m->suffix);

	return idx < 0 ? 0 : index_list__add(m->l, (unsigned int)idx);
}

/*
 * The indices of the entries of @d named <prefix>N<suffix>, sorted by N:
 * readdir() order is arbitrary and "hwmon10" sorts before "hwmon2" as text.
 */
static int list_indices(const struct sysfs_dir *d, const char *prefix, const char *suffix,
			struct index_list *l)
{
	struct index_match m = { .prefix = prefix, .suffix = suffix, .l = l };
	int err;

	l->v = NULL;
	l->n = l->cap = 0;
	err = sysfs_dir__list(d, add_match, &m);
	if (err) {
		index_list__free(l);
		return err;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_uint);
	return 0;
}

static int push_temp(struct hwmon_readings *r, size_t *cap, const struct hwmon_temp *t)
{
	int err;

	if (r->n_temps == *cap) {
		err = util__grow(&r->temps, cap, sizeof(*r->temps), 8, UTIL_NO_MAX);
		if (err)
			return err;
	}
	r->temps[r->n_temps++] = *t;
	return 0;
}

static int push_fan(struct hwmon_readings *r, size_t *cap, const struct hwmon_fan *f)
{
	int err;

	if (r->n_fans == *cap) {
		err = util__grow(&r->fans, cap, sizeof(*r->fans), 8, UTIL_NO_MAX);
		if (err)
			return err;
	}
	r->fans[r->n_fans++] = *f;
	return 0;
}

/* A millidegree attribute as °C, or NaN when it is absent or unreadable. */
static double read_celsius(const struct sysfs_dir *d, const char *path)
{
	long long mc;

	if (sysfs_dir__read_s64(d, path, &mc))
		return NAN;
	return (double)mc / 1000.0;
}

/* A label attribute, or false when it is absent, unreadable or empty. */
static bool read_label(const struct sysfs_dir *d, const char *path, char *buf, size_t size)
{
	return !sysfs_dir__read_str(d, path, buf, size) && buf[0];
}

struct scan {
	struct hwmon_readings *r;
	size_t temps_cap;
	size_t fans_cap;
};

static int read_chip_temps(struct scan *s, const struct sysfs_dir *attr, const char *chip,
			   const char *dir)
{
	struct index_list idx;
	char path[64];
	int err;

	err = list_indices(attr, "temp", "_input", &idx);
	if (err)
		return err;
	for (size_t i = 0; i < idx.n; i++) {
		unsigned int n = idx.v[i];
		struct hwmon_temp t = { .index = n };
		long long mc;

		snprintf(path, sizeof(path), "temp%u_input", n);
		/* A sensor can fail with EIO or ENODATA at any read: skip it, count it. */
		if (sysfs_dir__read_s64(attr, path, &mc)) {
			s->r->n_broken++;
			continue;
		}
		t.current_celsius = (double)mc / 1000.0;
		snprintf(t.chip, sizeof(t.chip), "%s", chip);
		snprintf(t.dir, sizeof(t.dir), "%s", dir);
		snprintf(path, sizeof(path), "temp%u_label", n);
		if (!read_label(attr, path, t.label, sizeof(t.label)))
			snprintf(t.label, sizeof(t.label), "%.40s temp%u", chip, n);
		/*
		 * psutil copies high into critical (and back) when a chip has
		 * only one of them. We do not: a missing tempN_crit means the
		 * chip has no such limit, and a consumer that alarms on
		 * "critical" must not fire at a mere "max" the driver set.
		 */
		snprintf(path, sizeof(path), "temp%u_max", n);
		t.high_celsius = read_celsius(attr, path);
		snprintf(path, sizeof(path), "temp%u_crit", n);
		t.critical_celsius = read_celsius(attr, path);
		err = push_temp(s->r, &s->temps_cap, &t);
		if (err)
			break;
	}
	index_list__free(&idx);
	return err;
}

static int read_chip_fans(struct scan *s, const struct sysfs_dir *attr, const char *chip,
			  const char *dir)
{
	struct index_list idx;
	char path[64];
	int err;

	err = list_indices(attr, "fan", "_input", &idx);
	if (err)
		return err;
	for (size_t i = 0; i < idx.n; i++) {
		unsigned int n = idx.v[i];
		struct hwmon_fan f = { .index = n };
		unsigned long long rpm;

		snprintf(path, sizeof(path), "fan%u_input", n);
		if (sysfs_dir__read_u64(attr, path, &rpm)) {
			s->r->n_broken++;
			continue;
		}
		f.rpm = rpm;
		snprintf(f.chip, sizeof(f.chip), "%s", chip);
		snprintf(f.dir, sizeof(f.dir), "%s", dir);
		snprintf(path, sizeof(path), "fan%u_label", n);
		if (!read_label(attr, path, f.label, sizeof(f.label)))
			snprintf(f.label, sizeof(f.label), "%.40s fan%u", chip, n);
		err = push_fan(s->r, &s->fans_cap, &f);
		if (err)
			break;
	}
	index_list__free(&idx);
	return err;
}

/* Whether @d holds any tempN_input or fanN_input. */
static int has_inputs(const struct sysfs_dir *d)
{
	struct index_list l;
	int err;
	bool any;

	err = list_indices(d, "temp", "_input", &l);
	if (err)
		return err;
	any = l.n > 0;
	index_list__free(&l);
	if (any)
		return 1;
	err = list_indices(d, "fan", "_input", &l);
	if (err)
		return err;
	any = l.n > 0;
	index_list__free(&l);
	return any;
}

static int read_chip(struct scan *s, const struct sysfs_dir *class_dir, unsigned int n)
{
	char dir[32], chip[HWMON_NAME_SIZE];
	struct sysfs_dir chip_dir, dev_dir;
	const struct sysfs_dir *attr;
	int err;

	snprintf(dir, sizeof(dir), "hwmon%u", n);
	err = sysfs_dir__open(class_dir, dir, &chip_dir);
	if (err)
		return err == -ENOENT ? 0 : err; /* unregistered since the listing */
	/*
	 * Since Linux 3.x drivers put their attributes on the hwmon device;
	 * older ones (and some out-of-tree ones) on the parent, reached as
	 * device/. Read one place only: when both carry the files, they are the
	 * same sensors twice (psutil had to deduplicate them, #1708).
	 */
	attr = &chip_dir;
	err = has_inputs(&chip_dir);
	if (err < 0)
		goto close_chip;
	if (err == 0 && !sysfs_dir__open(&chip_dir, "device", &dev_dir))
		attr = &dev_dir;
	if (sysfs_dir__read_str(&chip_dir, "name", chip, sizeof(chip)) || !chip[0])
		if (sysfs_dir__read_str(attr, "name", chip, sizeof(chip)) || !chip[0])
			snprintf(chip, sizeof(chip), "%s", dir);
	err = read_chip_temps(s, attr, chip, dir);
	if (!err)
		err = read_chip_fans(s, attr, chip, dir);
	if (attr != &chip_dir)
		sysfs_dir__close(&dev_dir);

close_chip:
	sysfs_dir__close(&chip_dir);
	return err;
}

/* Opens class/@name under the sys root: 1 when it exists, 0 when not, or -errno. */
static int open_class(const struct sysfs_dir *sys, const char *name, struct sysfs_dir *out)
{
	char path[32];
	int err;

	snprintf(path, sizeof(path), "class/%s", name);
	err = sysfs_dir__open(sys, path, out);
	if (!err)
		return 1;
	return err == -ENOENT ? 0 : err;
}

static int read_hwmon(struct scan *s, const struct sysfs_dir *sys)
{
	struct sysfs_dir class_dir;
	struct index_list chips;
	int err;

	err = open_class(sys, "hwmon", &class_dir);
	if (err <= 0)
		return err;
	err = list_indices(&class_dir, "hwmon", "", &chips);
	if (err)
		goto close_class;
	for (size_t i = 0; i < chips.n && !err; i++)
		err = read_chip(s, &class_dir, chips.v[i]);
	index_list__free(&chips);

close_class:
	sysfs_dir__close(&class_dir);
	return err;
}

/*
 * The first "critical" and the first "hot" trip point of a zone. Passive and
 * active trips are cooling steps, not limits, so they are not reported.
 */
static int read_trips(const struct sysfs_dir *zone, struct hwmon_temp *t)
{
	struct index_list trips;
	char path[64], type[32];
	int err;

	t->high_celsius = NAN;
	t->critical_celsius = NAN;
	err = list_indices(zone, "trip_point_", "_type", &trips);
	if (err)
		return err;
	for (size_t i = 0; i < trips.n; i++) {
		double *slot;

		snprintf(path, sizeof(path), "trip_point_%u_type", trips.v[i]);
		if (sysfs_dir__read_str(zone, path, type, sizeof(type)))
			continue;
		if (!strcmp(type, "critical"))
			slot = &t->critical_celsius;
		else if (!strcmp(type, "hot"))
			slot = &t->high_celsius;
		else
			continue;
		if (!isnan(*slot))
			continue;
		snprintf(path, sizeof(path), "trip_point_%u_temp", trips.v[i]);
		*slot = read_celsius(zone, path);
	}
	index_list__free(&trips);
	return 0;
}

static int read_thermal(struct scan *s, const struct sysfs_dir *sys)
{
	struct sysfs_dir class_dir, zone;
	struct index_list zones;
	int err;

	err = open_class(sys, "thermal", &class_dir);
	if (err <= 0)
		return err;
	/* cooling_deviceN share the directory; only zones have temperatures. */
	err = list_indices(&class_dir, "thermal_zone", "", &zones);
	if (err)
		goto close_class;
	for (size_t i = 0; i < zones.n && !err; i++) {
		struct hwmon_temp t = { .index = zones.v[i] };
		long long mc;

		snprintf(t.dir, sizeof(t.dir), "thermal_zone%u", zones.v[i]);
		err = sysfs_dir__open(&class_dir, t.dir, &zone);
		if (err) {
			if (err == -ENOENT)
				err = 0;
			continue;
		}
		/* A disabled zone or a sleeping device (iwlwifi) fails here. */
		if (sysfs_dir__read_s64(&zone, "temp", &mc)) {
			s->r->n_broken++;
			sysfs_dir__close(&zone);
			continue;
		}
		t.current_celsius = (double)mc / 1000.0;
		if (sysfs_dir__read_str(&zone, "type", t.chip, sizeof(t.chip)) || !t.chip[0])
			snprintf(t.chip, sizeof(t.chip), "%s", t.dir);
		/* Zones have no labels; the directory names the sensor uniquely. */
		snprintf(t.label, sizeof(t.label), "%s", t.dir);
		err = read_trips(&zone, &t);
		sysfs_dir__close(&zone);
		if (!err)
			err = push_temp(s->r, &s->temps_cap, &t);
	}
	index_list__free(&zones);

close_class:
	sysfs_dir__close(&class_dir);
	return err;
}

static int scan_sys(const struct sysfs_dir *sys, struct hwmon_readings *r)
{
	struct scan s = { .r = r };
	int err;

	memset(r, 0, sizeof(*r));
	err = read_hwmon(&s, sys);
	if (!err && r->n_temps == 0) {
		r->from_thermal = true;
		err = read_thermal(&s, sys);
		if (!err && r->n_temps == 0)
			r->from_thermal = false;
	}
	if (err)
		hwmon_readings__free(r);
	return err;
}

int hwmon__read(int sys_fd, struct hwmon_readings *r)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_fd);
	return scan_sys(&sys, r);
}

int hwmon__parse(const void *img, size_t len, struct hwmon_readings *r)
{
	struct sysfs_dir sys;

	sysfs_dir__from_image(&sys, img, len);
	return scan_sys(&sys, r);
}

void hwmon_readings__free(struct hwmon_readings *r)
{
	if (!r)
		return;
	free(r->temps);
	free(r->fans);
	memset(r, 0, sizeof(*r));
}
