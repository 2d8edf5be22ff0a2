/* test_config.c - the settings table: kernel defaults, lookup by sysctl and field name,
 * bounds and parse errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"

static void defaults_match_the_kernel(void **state)
{
	struct us_config c;
	int64_t v;

	(void)state;
	us_config_defaults(&c);
	assert_int_equal(c.ip_forward, 0);
	assert_int_equal(c.ip_default_ttl, 64);
	assert_int_equal(c.icmp_echo_ignore_broadcasts, 1);
	assert_int_equal(c.accept_redirects, 0);
	assert_int_equal(c.accept_source_route, 0);
	assert_int_equal(c.ipfrag_time, 30);
	assert_int_equal(us_config_get(&c, "net.ipv4.icmp_ratelimit", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(us_config_get(&c, "icmp_ratemask", &v), 0); /* field name works too */
	assert_int_equal(v, 6168);
}

static void set_checks_bounds_and_syntax(void **state)
{
	struct us_config c;

	(void)state;
	us_config_defaults(&c);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_forward", "1"), 0);
	assert_int_equal(c.ip_forward, 1);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_forward", "2"), -ERANGE);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_default_ttl", "0"), -ERANGE);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_default_ttl", "12x"), -EINVAL);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_default_ttl", ""), -EINVAL);
	assert_int_equal(us_config_set(&c, "net.ipv4.no_such_thing", "1"), -ENOENT);
	assert_int_equal(us_config_set(&c, "net.ipv4.ip_default_ttl", "0x20"), 0);
	assert_int_equal(c.ip_default_ttl, 32);
	assert_int_equal(c.ip_forward, 1); /* failed sets changed nothing */
}

static void every_entry_is_well_formed(void **state)
{
	(void)state;
	assert_true(us_config_count() > 20);
	for (size_t i = 0; i < us_config_count(); i++) {
		const struct us_config_desc *d = us_config_desc_at(i);
		assert_non_null(d);
		assert_true(d->min <= d->def && d->def <= d->max);
		assert_ptr_equal(us_config_find(d->name), d);
		assert_true(d->doc[0] != '\0');
	}
	assert_null(us_config_desc_at(us_config_count()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_kernel),
		cmocka_unit_test(set_checks_bounds_and_syntax),
		cmocka_unit_test(every_entry_is_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
