/* Unit tests of sha256: the FIPS 180-4 examples and the padding edges
 * (one block, two blocks, lengths around 56 and 64 bytes), against
 * digests from Python's hashlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void hex(const uint8_t d[SHA256_LEN], char out[65])
{
    int i;

    for (i = 0; i < SHA256_LEN; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check(const void *data, size_t len, const char *want)
{
    uint8_t d[SHA256_LEN];
    char got[65];

    sha256(data, len, d);
    hex(d, got);
    assert_string_equal(got, want);
}

static void test_fips_examples(void **state)
{
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_padding_edges(void **state)
{
    static const struct { size_t n; const char *want; } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char a[128];
    size_t i;

    memset(a, 'a', sizeof a);
    for (i = 0; i < sizeof v / sizeof v[0]; i++)
        check(a, v[i].n, v[i].want);
}

static void test_million_a(void **state)
{
    char *a = malloc(1000000);

    assert_non_null(a);
    memset(a, 'a', 1000000);
    check(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* HMAC-SHA256: RFC 4231 test case 2, and a key longer than a block
 * (digested first), against Python's hmac. */
static void test_hmac(void **state)
{
    uint8_t d[SHA256_LEN];
    char got[65], key[101];

    sha256_hmac("Jefe", "what do ya want for nothing?", 28, d);
    hex(d, got);
    assert_string_equal(got, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 'k', 100);
    key[100] = '\0';
    sha256_hmac(key, "usher\nticket\n123", 16, d);
    hex(d, got);
    assert_string_equal(got, "fd9a2b8de246740df9b03382d004568e83fbdbe7a313b2ab5e7e4d4ab6f8d2b3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_padding_edges),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_hmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
