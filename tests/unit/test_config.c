/* Unit tests of config: defaults, env fallbacks, flags, URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static int load(struct config *c, int argc, char **argv)
{
    char err[256];
    return config_load(c, argc, argv, err, sizeof err);
}

static void test_defaults(void **state)
{
    struct config c;
    char *argv[] = {"usherd", NULL};

    unsetenv("USHER_LISTEN");
    unsetenv("USHER_REDIS_URL");
    assert_int_equal(load(&c, 1, argv), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.redis_host, "127.0.0.1");
    assert_int_equal(c.redis_port, 6379);
    assert_int_equal(c.redis_timeout_ms, 2000);
}

static void test_env_then_flags(void **state)
{
    struct config c;
    char *argv[] = {"usherd", "--listen", "0.0.0.0:9000", "--redis-timeout", "1s", NULL};

    setenv("USHER_LISTEN", "127.0.0.1:7000", 1);
    setenv("USHER_REDIS_URL", "unix:///tmp/r.sock", 1);
    assert_int_equal(load(&c, 1, argv), 0);
    assert_int_equal(c.listen_port, 7000);
    assert_string_equal(c.redis_unix, "/tmp/r.sock");
    assert_int_equal(load(&c, 5, argv), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(c.redis_timeout_ms, 1000);
    unsetenv("USHER_LISTEN");
    unsetenv("USHER_REDIS_URL");
}

static void test_bad_values(void **state)
{
    struct config c;
    char *a1[] = {"usherd", "--listen", "nocolon", NULL};
    char *a2[] = {"usherd", "--listen", "h:99999", NULL};
    char *a3[] = {"usherd", "--redis", "http://x", NULL};
    char *a4[] = {"usherd", "--bogus", NULL};
    char *a5[] = {"usherd", "stray", NULL};

    assert_int_equal(load(&c, 3, a1), -1);
    assert_int_equal(load(&c, 3, a2), -1);
    assert_int_equal(load(&c, 3, a3), -1);
    assert_int_equal(load(&c, 2, a4), -1);
    assert_int_equal(load(&c, 2, a5), -1);
}

static void test_redis_urls(void **state)
{
    struct config c;

    memset(&c, 0, sizeof c);
    assert_int_equal(config_parse_redis_url(&c, "redis://u:p@10.0.0.1:6380/2"), 0);
    assert_string_equal(c.redis_user, "u");
    assert_string_equal(c.redis_pass, "p");
    assert_string_equal(c.redis_host, "10.0.0.1");
    assert_int_equal(c.redis_port, 6380);
    assert_int_equal(c.redis_db, 2);
    assert_int_equal(config_parse_redis_url(&c, "redis://:secret@localhost"), 0);
    assert_string_equal(c.redis_user, "");
    assert_string_equal(c.redis_pass, "secret");
    assert_int_equal(c.redis_port, 6379);
    assert_int_equal(config_parse_redis_url(&c, "redis://host:"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis://:6379"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis://h/x"), -1);
    assert_int_equal(config_parse_redis_url(&c, "unix://relative"), -1);
    assert_int_equal(c.redis_cluster, 0);
}

static void test_reserve_wait(void **state)
{
    struct config c;
    char *ok[] = {"usherd", "--reserve-wait", "2:150", NULL};
    char *off[] = {"usherd", "--reserve-wait", "off", NULL};
    char *past[] = {"usherd", "--redis-timeout", "100", "--reserve-wait", "1:100", NULL};
    char *bad1[] = {"usherd", "--reserve-wait", "1", NULL};
    char *bad2[] = {"usherd", "--reserve-wait", "0:10", NULL};
    char *bad3[] = {"usherd", "--reserve-wait", "1:0", NULL};
    char *bad4[] = {"usherd", "--reserve-wait", "17:10", NULL};

    (void)state;
    assert_int_equal(load(&c, 1, ok), 0);
    assert_int_equal(c.reserve_wait_n, 0);            /* off by default */
    assert_int_equal(load(&c, 3, ok), 0);
    assert_int_equal(c.reserve_wait_n, 2);
    assert_int_equal(c.reserve_wait_ms, 150);
    assert_int_equal(load(&c, 3, off), 0);
    assert_int_equal(c.reserve_wait_n, 0);
    /* the WAIT must fit inside the call's deadline */
    assert_int_equal(load(&c, 5, past), -1);
    assert_int_equal(load(&c, 3, bad1), -1);
    assert_int_equal(load(&c, 3, bad2), -1);
    assert_int_equal(load(&c, 3, bad3), -1);
    assert_int_equal(load(&c, 3, bad4), -1);
}

static void test_cluster_urls(void **state)
{
    struct config c;

    memset(&c, 0, sizeof c);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://u:p@10.0.0.1:7000,h2:7001"), 0);
    assert_int_equal(c.redis_cluster, 1);
    assert_string_equal(c.redis_user, "u");
    assert_string_equal(c.redis_pass, "p");
    assert_string_equal(c.redis_host, "10.0.0.1:7000,h2:7001");
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://[::1]:7000"), 0);
    assert_string_equal(c.redis_host, "[::1]:7000");
    /* every seed needs its port; no database; no empty seed */
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://h1:7000,h2"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://h1:7000/1"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://h1:7000,"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://h1:7000,,h2:1"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://"), -1);
    assert_int_equal(config_parse_redis_url(&c, "redis-cluster://:7000"), -1);
    /* a plain URL after a cluster one is plain again */
    assert_int_equal(config_parse_redis_url(&c, "redis://h:1"), 0);
    assert_int_equal(c.redis_cluster, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_env_then_flags),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_redis_urls),
        cmocka_unit_test(test_cluster_urls),
        cmocka_unit_test(test_reserve_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
