/* Unit tests of cluster.c: hash slots, slot maps from CLUSTER SHARDS and
 * CLUSTER SLOTS replies, redirections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"
#include "fake_reply.h"

static void test_key_slot(void **state)
{
    (void)state;
    /* the specification's check value: CRC16("123456789") = 0x31C3 */
    assert_int_equal(cluster_key_slot("123456789", 9), 0x31C3 & 16383);
    /* what redis-server's CLUSTER KEYSLOT says of these */
    assert_int_equal(cluster_key_slot("usher:{bench}:meta", 18), 2933);
    assert_int_equal(cluster_key_slot("foo", 3), 12182);
    /* every key of an event shares the slot of its tag */
    assert_int_equal(cluster_key_slot("usher:{bench}:journal", 21), cluster_key_slot("bench", 5));
    /* an empty tag does not count: the whole key is hashed */
    assert_int_equal(cluster_key_slot("a{}b", 4), cluster_key_slot("a{}b", 4));
    assert_int_not_equal(cluster_key_slot("a{}b", 4), cluster_key_slot("", 0));
    /* only the first {...} counts */
    assert_int_equal(cluster_key_slot("{x}{y}", 6), cluster_key_slot("x", 1));
    /* no closing brace: the whole key */
    assert_int_equal(cluster_key_slot("{x", 2), cluster_key_slot("{x", 2));
    assert_int_not_equal(cluster_key_slot("{x", 2), cluster_key_slot("x", 1));
}

/* One node's flat field list of CLUSTER SHARDS. */
struct fnode {
    redisReply f[12], *p[12], list;
};

static void fnode_init(struct fnode *n, const char *ip, long long port, const char *role,
                       const char *health)
{
    size_t i;

    n->f[0] = S("id"); n->f[1] = S("abc");
    n->f[2] = S("port"); n->f[3] = I(port);
    n->f[4] = S("ip"); n->f[5] = S(ip);
    n->f[6] = S("endpoint"); n->f[7] = S(ip);
    n->f[8] = S("role"); n->f[9] = S(role);
    n->f[10] = S("health"); n->f[11] = S(health);
    for (i = 0; i < 12; i++)
        n->p[i] = &n->f[i];
    n->list = A(n->p, 12);
}

static void test_parse_shards(void **state)
{
    struct fnode a1, a2, b1;
    redisReply *an[2] = {&a2.list, &a1.list}, *bn[1] = {&b1.list};
    redisReply as[4] = {I(0), I(99), S("200"), S("16383")}, bs[2] = {I(100), I(199)};
    redisReply *asp[4] = {&as[0], &as[1], &as[2], &as[3]}, *bsp[2] = {&bs[0], &bs[1]};
    redisReply sh[2][4], *shp[2][4], shards[2], *shardp[2], top;
    struct cluster_range rg[8];
    int n, i;

    (void)state;
    fnode_init(&a1, "127.0.0.1", 7001, "master", "online");
    fnode_init(&a2, "127.0.0.1", 7004, "replica", "online");   /* listed first */
    fnode_init(&b1, "", 7002, "master", "online");             /* no ip: the asked host */
    sh[0][0] = S("slots"); sh[0][1] = A(asp, 4); sh[0][2] = S("nodes"); sh[0][3] = A(an, 2);
    sh[1][0] = S("slots"); sh[1][1] = A(bsp, 2); sh[1][2] = S("nodes"); sh[1][3] = A(bn, 1);
    for (i = 0; i < 4; i++) {
        shp[0][i] = &sh[0][i];
        shp[1][i] = &sh[1][i];
    }
    shards[0] = A(shp[0], 4);
    shards[1] = A(shp[1], 4);
    shardp[0] = &shards[0];
    shardp[1] = &shards[1];
    top = A(shardp, 2);
    n = cluster_parse_shards(&top, "10.0.0.9", rg, 8);
    assert_int_equal(n, 3);
    assert_int_equal(rg[0].first, 0);
    assert_int_equal(rg[0].last, 99);
    assert_string_equal(rg[0].addr, "127.0.0.1:7001");
    assert_int_equal(rg[1].first, 200);         /* string bounds */
    assert_int_equal(rg[1].last, 16383);
    assert_string_equal(rg[2].addr, "10.0.0.9:7002");
    assert_true(cluster_ranges_complete(rg, 3));
    assert_false(cluster_ranges_complete(rg, 2));

    /* a primary that is not online serves nothing yet: the shard is skipped */
    fnode_init(&b1, "127.0.0.1", 7002, "master", "loading");
    assert_int_equal(cluster_parse_shards(&top, "h", rg, 8), 2);
    /* a slot out of range makes the whole reply unusable */
    fnode_init(&b1, "127.0.0.1", 7002, "master", "online");
    bs[1] = I(16384);
    assert_int_equal(cluster_parse_shards(&top, "h", rg, 8), -1);
    /* too many ranges for the room given */
    bs[1] = I(199);
    assert_int_equal(cluster_parse_shards(&top, "h", rg, 2), -1);
    /* not a list */
    top = S("nope");
    assert_int_equal(cluster_parse_shards(&top, "h", rg, 8), -1);
}

static void test_parse_slots(void **state)
{
    redisReply n1[3] = {S("127.0.0.1"), I(7001), S("id1")}, n2[3] = {S(""), I(7002), S("id2")};
    redisReply *n1p[3] = {&n1[0], &n1[1], &n1[2]}, *n2p[3] = {&n2[0], &n2[1], &n2[2]};
    redisReply e1[3], e2[3], *e1p[3], *e2p[3], ent[2], *entp[2], top;
    struct cluster_range rg[4];
    int i;

    (void)state;
    e1[0] = I(0); e1[1] = I(8191); e1[2] = A(n1p, 3);
    e2[0] = I(8192); e2[1] = I(16383); e2[2] = A(n2p, 3);
    for (i = 0; i < 3; i++) {
        e1p[i] = &e1[i];
        e2p[i] = &e2[i];
    }
    ent[0] = A(e1p, 3);
    ent[1] = A(e2p, 3);
    entp[0] = &ent[0];
    entp[1] = &ent[1];
    top = A(entp, 2);
    assert_int_equal(cluster_parse_slots(&top, "127.0.0.2", rg, 4), 2);
    assert_string_equal(rg[0].addr, "127.0.0.1:7001");
    assert_string_equal(rg[1].addr, "127.0.0.2:7002");
    assert_true(cluster_ranges_complete(rg, 2));
    /* overlapping ranges are not a usable map */
    e2[0] = I(8000);
    assert_int_equal(cluster_parse_slots(&top, "h", rg, 4), 2);
    assert_false(cluster_ranges_complete(rg, 2));
}

static void test_parse_error(void **state)
{
    char addr[64];
    unsigned slot = 0;
    const char *moved = "MOVED 3999 127.0.0.1:6381", *ask = "ASK 12 10.1.2.3:7000";

    (void)state;
    assert_int_equal(cluster_parse_error(moved, strlen(moved), &slot, addr, sizeof addr),
                     CLUSTER_ERR_MOVED);
    assert_int_equal(slot, 3999);
    assert_string_equal(addr, "127.0.0.1:6381");
    assert_int_equal(cluster_parse_error(ask, strlen(ask), &slot, addr, sizeof addr),
                     CLUSTER_ERR_ASK);
    assert_int_equal(slot, 12);
    assert_string_equal(addr, "10.1.2.3:7000");
    assert_int_equal(cluster_parse_error("TRYAGAIN Multiple keys request during rehashing of "
                                         "slot", 53, &slot, addr, sizeof addr),
                     CLUSTER_ERR_TRYAGAIN);
    assert_int_equal(cluster_parse_error("CLUSTERDOWN The cluster is down", 31, &slot, addr,
                                         sizeof addr), CLUSTER_ERR_DOWN);
    assert_int_equal(cluster_parse_error("ERR unknown", 11, &slot, addr, sizeof addr),
                     CLUSTER_ERR_OTHER);
    /* malformed redirections are not followed */
    assert_int_equal(cluster_parse_error("MOVED 99999 h:1", 15, &slot, addr, sizeof addr),
                     CLUSTER_ERR_OTHER);
    assert_int_equal(cluster_parse_error("MOVED 1 nocolon", 15, &slot, addr, sizeof addr),
                     CLUSTER_ERR_OTHER);
    assert_int_equal(cluster_parse_error("MOVED x h:1", 11, &slot, addr, sizeof addr),
                     CLUSTER_ERR_OTHER);
    assert_int_equal(cluster_parse_error("MOVED 1 h:1", 11, &slot, addr, 3), CLUSTER_ERR_OTHER);
}

static void test_split_addr(void **state)
{
    char host[64];
    int port = 0;

    (void)state;
    assert_int_equal(cluster_split_addr("127.0.0.1:7000", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 7000);
    assert_int_equal(cluster_split_addr("[::1]:7001", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7001);
    assert_int_equal(cluster_split_addr("h:0", host, sizeof host, &port), -1);
    assert_int_equal(cluster_split_addr("h:70000", host, sizeof host, &port), -1);
    assert_int_equal(cluster_split_addr(":1", host, sizeof host, &port), -1);
    assert_int_equal(cluster_split_addr("nohost", host, sizeof host, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_slot),
        cmocka_unit_test(test_parse_shards),
        cmocka_unit_test(test_parse_slots),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_split_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
