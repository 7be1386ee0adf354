/* Unit tests of store's own RESP formatting: byte for byte what hiredis'
 * redisFormatCommandArgv makes, for empty, binary, long and many
 * arguments, with and without explicit lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "store.h"

static void same_as_hiredis(int argc, const char **argv, const size_t *lens)
{
    char *ours = NULL, *theirs = NULL;
    long n = store_format_command(&ours, argc, argv, lens);
    int m = redisFormatCommandArgv(&theirs, argc, argv, lens);

    assert_true(n > 0);
    assert_int_equal(n, m);
    assert_memory_equal(ours, theirs, (size_t)n);
    free(ours);
    free(theirs);
}

static void test_format(void **state)
{
    static char big[100001];
    const char *one[] = {"PING"};
    const char *eval[] = {"EVALSHA", "0123456789abcdef0123456789abcdef01234567", "2",
                          "usher:{e}:status", "usher:{e}:holds", "", "ttl", "600"};
    const char *bin[] = {"SET", "k\r\n", "a\0b"};
    const size_t binlen[] = {3, 3, 3};
    const char *many[120];
    char names[120][8];
    int i;

    (void)state;
    same_as_hiredis(1, one, NULL);
    same_as_hiredis(8, eval, NULL);
    same_as_hiredis(3, bin, binlen);
    memset(big, 'x', sizeof big - 1);
    many[0] = big;
    same_as_hiredis(1, many, NULL);              /* a six-digit length */
    for (i = 0; i < 120; i++) {                   /* a three-digit count */
        snprintf(names[i], sizeof names[i], "a%d", i);
        many[i] = names[i];
    }
    same_as_hiredis(120, many, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
