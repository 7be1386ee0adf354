/* Unit tests of layouts: lookup, replacement, the byte bound with least
 * recently used eviction, and references outliving eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "layouts.h"

static void test_put_get_replace(void **state)
{
    struct layouts *c = layouts_create(100);
    struct layout *a, *b;

    assert_null(layouts_get(c, "e1"));
    a = layouts_put(c, "e1", "id1", "0\tx\n", 4);
    assert_non_null(a);
    assert_memory_equal(a->data, "0\tx\n", 4);
    assert_string_equal(a->id, "id1");
    b = layouts_get(c, "e1");
    assert_ptr_equal(a, b);
    layouts_release(b);
    /* a new id for the event replaces the entry; the old one lives on
     * for its holder */
    b = layouts_put(c, "e1", "id2", "0\ty\n", 4);
    assert_ptr_not_equal(a, b);
    assert_int_equal(layouts_bytes(c), 4);
    assert_memory_equal(a->data, "0\tx\n", 4);
    layouts_release(a);
    layouts_release(b);
    b = layouts_get(c, "e1");
    assert_string_equal(b->id, "id2");
    layouts_release(b);
    layouts_destroy(c);
}

static void test_refusals(void **state)
{
    struct layouts *c = layouts_create(10);

    assert_null(layouts_put(c, "e", "", "abc", 3));                 /* no id */
    assert_null(layouts_put(c, "e", "0123456789012345678901234567890123", "a", 1));
    assert_null(layouts_put(c, "e", "id", "0123456789a", 11));       /* > bound */
    assert_null(layouts_get(c, "e"));
    assert_int_equal(layouts_bytes(c), 0);
    layouts_destroy(c);
}

static void test_bound_evicts_least_recently_used(void **state)
{
    struct layouts *c = layouts_create(10);
    struct layout *held;

    layouts_release(layouts_put(c, "a", "1", "aaaa", 4));
    held = layouts_put(c, "b", "1", "bbbb", 4);
    layouts_release(layouts_get(c, "a"));            /* a is now the fresher */
    layouts_release(layouts_put(c, "c", "1", "cccc", 4));
    assert_int_equal(layouts_bytes(c), 8);
    assert_null(layouts_get(c, "b"));                /* b went */
    assert_memory_equal(held->data, "bbbb", 4);      /* but its taker keeps it */
    layouts_release(held);
    layouts_release(layouts_get(c, "a"));
    layouts_release(layouts_get(c, "c"));
    held = layouts_get(c, "c");
    layouts_destroy(c);                              /* a taken entry outlives it */
    assert_memory_equal(held->data, "cccc", 4);
    layouts_release(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_bound_evicts_least_recently_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
