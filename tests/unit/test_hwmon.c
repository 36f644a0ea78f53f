// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "jobtrace/hwmon.h"
#include "jobtrace/util.h"

#define SYS FIXTURES "/sys"

/* Absent limits are NaN; compare so that NaN == NaN and 80.0 == 80.0 exactly. */
static bool same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

struct temp_want {
	const char *chip, *label, *dir;
	unsigned int index;
	double current, high, critical;
};

struct fan_want {
	const char *chip, *label, *dir;
	unsigned int index;
	uint64_t rpm;
};

struct tree_case {
	const char *name;
	const char *root;
	bool from_thermal;
	unsigned int n_broken;
	const struct temp_want *temps;
	size_t n_temps;
	const struct fan_want *fans;
	size_t n_fans;
};

/* tests/fixtures/sys/hwmon: see tests/fixtures/sys/README. */
static const struct temp_want hwmon_temps[] = {
	{ "coretemp", "Package id 0", "hwmon0", 1, 45.0, 80.0, 100.0 },
	{ "coretemp", "Core 0", "hwmon0", 2, 43.0, 80.0, 100.0 },
	{ "coretemp", "Core 1", "hwmon0", 3, 44.5, 80.0, 100.0 },
	/* temp10 after temp3: numeric order; device/temp1_input (99 °C) not read. */
	{ "coretemp", "Core 8", "hwmon0", 10, 47.0, 80.0, 100.0 },
	/* No label: chip + index. Only a crit: high stays absent. */
	{ "nvme", "nvme temp1", "hwmon1", 1, 38.85, NAN, 84.85 },
	/* Old driver: files and name under device/. Only a max: critical absent. */
	{ "it8712", "it8712 temp1", "hwmon3", 1, 40.0, 70.0, NAN },
	{ "it8712", "it8712 temp2", "hwmon3", 2, -5.0, NAN, NAN },
	/* hwmon10 after hwmon3; temp1..3 are broken; temp4_max empty -> absent. */
	{ "k10temp", "Tccd2", "hwmon10", 4, 52.25, NAN, NAN },
};

static const struct fan_want hwmon_fans[] = {
	{ "dell_smm", "Processor Fan", "hwmon2", 1, 2150 },
	{ "dell_smm", "dell_smm fan2", "hwmon2", 2, 0 },
	{ "it8712", "it8712 fan1", "hwmon3", 1, 3000 },
};

static const struct temp_want thermal_temps[] = {
	{ "acpitz", "thermal_zone0", "thermal_zone0", 0, 27.8, NAN, 105.0 },
	/* Passive trips only: no limits. */
	{ "x86_pkg_temp", "thermal_zone1", "thermal_zone1", 1, 46.0, NAN, NAN },
	/* First hot trip (80, not 85); the critical trip's temp is unreadable. */
	{ "pch_cannonlake", "thermal_zone10", "thermal_zone10", 10, 52.0, 80.0, NAN },
};

static const struct fan_want thermal_fans[] = {
	{ "pwmfan", "pwmfan fan1", "hwmon0", 1, 3500 },
};

static const struct tree_case tree_cases[] = {
	{ "two chips, fans, device/, broken inputs", SYS "/hwmon", false, 4, hwmon_temps,
	  ARRAY_SIZE(hwmon_temps), hwmon_fans, ARRAY_SIZE(hwmon_fans) },
	/* iwlwifi_1's temp fails with EIO: one broken. */
	{ "thermal zones only", SYS "/thermal", true, 1, thermal_temps, ARRAY_SIZE(thermal_temps),
	  thermal_fans, ARRAY_SIZE(thermal_fans) },
	/* A sys root with class/net only: no sensors at all. */
	{ "no sensors", FIXTURES "/net/t0/sys", false, 0, NULL, 0, NULL, 0 },
};

static void check_tree(const struct tree_case *c)
{
	struct hwmon_readings r;
	int fd = util__open_dir(c->root);

	if (fd < 0)
		fail_msg("%s: cannot open %s: %s", c->name, c->root, strerror(-fd));
	assert_int_equal(hwmon__read(fd, &r), 0);
	close(fd);
	if (r.from_thermal != c->from_thermal || r.n_broken != c->n_broken ||
	    r.n_temps != c->n_temps || r.n_fans != c->n_fans)
		fail_msg("%s: thermal %d broken %u temps %zu fans %zu", c->name, r.from_thermal,
			 r.n_broken, r.n_temps, r.n_fans);
	for (size_t i = 0; i < c->n_temps; i++) {
		const struct hwmon_temp *t = &r.temps[i];
		const struct temp_want *w = &c->temps[i];

		if (strcmp(t->chip, w->chip) || strcmp(t->label, w->label) ||
		    strcmp(t->dir, w->dir) || t->index != w->index ||
		    !same(t->current_celsius, w->current) || !same(t->high_celsius, w->high) ||
		    !same(t->critical_celsius, w->critical))
			fail_msg("%s: temp %zu is %s/%s/%s #%u %g high %g crit %g", c->name, i,
				 t->chip, t->label, t->dir, t->index, t->current_celsius,
				 t->high_celsius, t->critical_celsius);
	}
	for (size_t i = 0; i < c->n_fans; i++) {
		const struct hwmon_fan *f = &r.fans[i];
		const struct fan_want *w = &c->fans[i];

		if (strcmp(f->chip, w->chip) || strcmp(f->label, w->label) ||
		    strcmp(f->dir, w->dir) || f->index != w->index || f->rpm != w->rpm)
			fail_msg("%s: fan %zu is %s/%s/%s #%u %llu rpm", c->name, i, f->chip,
				 f->label, f->dir, f->index, (unsigned long long)f->rpm);
	}
	hwmon_readings__free(&r);
	assert_null(r.temps);
	assert_int_equal(r.n_temps, 0);
}

static void test_tree_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(tree_cases); i++)
		check_tree(&tree_cases[i]);
	hwmon_readings__free(NULL);
}

/* Whether @path lists an entry starting with @prefix; false if it is absent. */
static bool dir_has(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			found = true;
	closedir(d);
	return found;
}

/*
 * The live /sys. This VM has neither hwmon nor thermal zones, so the result
 * must be empty; on a machine that has them, every reading must be sane.
 */
static void test_live(void **state)
{
	struct hwmon_readings r;
	int fd = util__open_dir("/sys");

	assert_true(fd >= 0);
	assert_int_equal(hwmon__read(fd, &r), 0);
	close(fd);
	if (!dir_has("/sys/class/hwmon", "hwmon") &&
	    !dir_has("/sys/class/thermal", "thermal_zone")) {
		assert_int_equal(r.n_temps, 0);
		assert_int_equal(r.n_fans, 0);
		assert_int_equal(r.n_broken, 0);
		assert_false(r.from_thermal);
		assert_null(r.temps);
		assert_null(r.fans);
	}
	for (size_t i = 0; i < r.n_temps; i++) {
		assert_true(isfinite(r.temps[i].current_celsius));
		assert_true(r.temps[i].label[0] != '\0');
	}
	hwmon_readings__free(&r);
}

/* hwmon__parse() walks an image as hwmon__read() walks /sys: one chip, one thermal zone. */
static void test_image(void **state)
{
	static const char chip[] = "class/hwmon/hwmon0/name\0coretemp\n\0"
				   "class/hwmon/hwmon0/temp2_input\0" "42500\n\0"
				   "class/hwmon/hwmon0/temp2_label\0Core 0\n\0"
				   "class/hwmon/hwmon0/temp2_crit\0" "100000\n\0"
				   "class/hwmon/hwmon0/fan1_input\0" "1200\n\0";
	static const char zone[] = "class/thermal/thermal_zone3/temp\0" "30000\n\0"
				   "class/thermal/thermal_zone3/type\0acpitz\n\0"
				   "class/thermal/thermal_zone3/trip_point_0_type\0critical\n\0"
				   "class/thermal/thermal_zone3/trip_point_0_temp\0" "95000\n";
	struct hwmon_readings r;

	assert_int_equal(hwmon__parse(chip, sizeof(chip) - 1, &r), 0);
	assert_int_equal(r.n_temps, 1);
	assert_string_equal(r.temps[0].chip, "coretemp");
	assert_string_equal(r.temps[0].label, "Core 0");
	assert_int_equal(r.temps[0].index, 2);
	assert_true(r.temps[0].current_celsius == 42.5);
	assert_true(r.temps[0].critical_celsius == 100.0);
	assert_true(isnan(r.temps[0].high_celsius));
	assert_int_equal(r.n_fans, 1);
	assert_int_equal(r.fans[0].rpm, 1200);
	assert_false(r.from_thermal);
	hwmon_readings__free(&r);

	assert_int_equal(hwmon__parse(zone, sizeof(zone) - 1, &r), 0);
	assert_int_equal(r.n_temps, 1);
	assert_true(r.from_thermal);
	assert_string_equal(r.temps[0].chip, "acpitz");
	assert_string_equal(r.temps[0].dir, "thermal_zone3");
	assert_true(r.temps[0].current_celsius == 30.0);
	assert_true(r.temps[0].critical_celsius == 95.0);
	hwmon_readings__free(&r);

	assert_int_equal(hwmon__parse("", 0, &r), 0);
	assert_int_equal(r.n_temps + r.n_fans, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_table),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
