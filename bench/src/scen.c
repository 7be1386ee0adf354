/* scen — see scen.h. One Lua 5.4 state per run; hooks are looked up by
 * name on each call, so a script may define them in any order. */
#include "scen.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scen {
    lua_State *L;
    const struct venue *v;
    const uint8_t *view;
    struct rng *rng;
};

static struct scen *self(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static int l_random(lua_State *L)
{
    struct scen *s = self(L);

    if (lua_gettop(L) >= 2) {
        lua_Integer lo = luaL_checkinteger(L, 1), hi = luaL_checkinteger(L, 2);
        lua_pushinteger(L, (lua_Integer)rng_range(s->rng, (long)lo, (long)hi));
    } else {
        lua_pushnumber(L, rng_unit(s->rng));
    }
    return 1;
}

static int l_nseats(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)self(L)->v->nseats);
    return 1;
}

static lua_Integer seat_arg(lua_State *L, const struct venue *v)
{
    lua_Integer i = luaL_checkinteger(L, 1);

    luaL_argcheck(L, i >= 1 && (size_t)i <= v->nseats, 1, "seat index out of range");
    return i - 1;
}

static int l_seat(lua_State *L)
{
    struct scen *s = self(L);

    lua_pushstring(L, s->v->id[seat_arg(L, s->v)]);
    return 1;
}

static int l_is_free(lua_State *L)
{
    struct scen *s = self(L);

    lua_pushboolean(L, s->view[seat_arg(L, s->v)] == 0);
    return 1;
}

static int l_nrows(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)self(L)->v->nrows);
    return 1;
}

static int l_row(lua_State *L)
{
    struct scen *s = self(L);
    lua_Integer r = luaL_checkinteger(L, 1);

    luaL_argcheck(L, r >= 1 && (size_t)r <= s->v->nrows, 1, "row out of range");
    lua_pushinteger(L, (lua_Integer)s->v->rows[r - 1].first + 1);
    lua_pushinteger(L, (lua_Integer)s->v->rows[r - 1].count);
    lua_pushinteger(L, (lua_Integer)s->v->rows[r - 1].section + 1);
    return 3;
}

struct scen *scen_load(const char *path)
{
    static const luaL_Reg lib[] = {
        {"random", l_random}, {"nseats", l_nseats}, {"seat", l_seat},
        {"is_free", l_is_free}, {"nrows", l_nrows}, {"row", l_row}, {NULL, NULL},
    };
    struct scen *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    s->L = luaL_newstate();
    luaL_openlibs(s->L);
    luaL_newlibtable(s->L, lib);
    lua_pushlightuserdata(s->L, s);
    luaL_setfuncs(s->L, lib, 1);
    lua_setglobal(s->L, "usher");
    if (luaL_dofile(s->L, path) != LUA_OK) {
        fprintf(stderr, "usher-bench: script %s: %s\n", path, lua_tostring(s->L, -1));
        scen_free(s);
        return NULL;
    }
    return s;
}

void scen_free(struct scen *s)
{
    if (!s)
        return;
    lua_close(s->L);
    free(s);
}

void scen_bind(struct scen *s, const struct venue *v, const uint8_t *view, struct rng *rng)
{
    if (!s)
        return;
    s->v = v;
    s->view = view;
    s->rng = rng;
}

static int config_field(struct scen *s, const char *key)
{
    if (lua_getglobal(s->L, "config") != LUA_TTABLE) {
        lua_pop(s->L, 1);
        return 0;
    }
    lua_getfield(s->L, -1, key);
    lua_remove(s->L, -2);
    if (lua_isnil(s->L, -1)) {
        lua_pop(s->L, 1);
        return 0;
    }
    return 1;
}

int scen_config_number(struct scen *s, const char *key, double *num)
{
    int ok;

    if (!s || !config_field(s, key))
        return 0;
    ok = lua_isnumber(s->L, -1);
    if (ok)
        *num = lua_tonumber(s->L, -1);
    lua_pop(s->L, 1);
    return ok;
}

int scen_config_string(struct scen *s, const char *key, char *str, size_t len)
{
    int ok;

    if (!s || !config_field(s, key))
        return 0;
    ok = lua_isstring(s->L, -1);
    if (ok)
        snprintf(str, len, "%s", lua_tostring(s->L, -1));
    lua_pop(s->L, 1);
    return ok;
}

/* Pushes hook `name` and returns 1, or returns 0 when it is not defined. */
static int hook(struct scen *s, const char *name)
{
    if (!s)
        return 0;
    if (lua_getglobal(s->L, name) != LUA_TFUNCTION) {
        lua_pop(s->L, 1);
        return 0;
    }
    return 1;
}

/* Calls the pushed hook with nargs; leaves one result. 0 or -1 (reported). */
static int call(struct scen *s, const char *name, int nargs)
{
    if (lua_pcall(s->L, nargs, 1, 0) != LUA_OK) {
        fprintf(stderr, "usher-bench: %s(): %s\n", name, lua_tostring(s->L, -1));
        lua_pop(s->L, 1);
        return -1;
    }
    return 0;
}

int scen_party(struct scen *s, uint32_t buyer)
{
    int k = -1;

    if (!hook(s, "party"))
        return -1;
    lua_pushinteger(s->L, buyer);
    if (call(s, "party", 1) < 0)
        return -1;
    if (lua_isinteger(s->L, -1))
        k = (int)lua_tointeger(s->L, -1);
    lua_pop(s->L, 1);
    return k;
}

int scen_pick(struct scen *s, uint32_t buyer, int k, int attempt, int32_t *out, int max)
{
    int n = -1;

    if (!hook(s, "pick"))
        return -1;
    lua_pushinteger(s->L, buyer);
    lua_pushinteger(s->L, k);
    lua_pushinteger(s->L, attempt);
    if (call(s, "pick", 3) < 0)
        return -1;
    if (lua_istable(s->L, -1)) {
        lua_Integer i, len = luaL_len(s->L, -1);
        n = 0;
        for (i = 1; i <= len && n < max; i++) {
            lua_geti(s->L, -1, i);
            if (lua_isinteger(s->L, -1)) {       /* a 1-based seat index */
                lua_Integer at = lua_tointeger(s->L, -1);
                if (at >= 1 && (size_t)at <= s->v->nseats)
                    out[n++] = (int32_t)(at - 1);
            } else if (lua_isstring(s->L, -1)) { /* a seat id */
                const char *id = lua_tostring(s->L, -1);
                size_t j;
                for (j = 0; j < s->v->nseats; j++)
                    if (strcmp(s->v->id[j], id) == 0) {
                        out[n++] = (int32_t)j;
                        break;
                    }
            }
            lua_pop(s->L, 1);
        }
    }
    lua_pop(s->L, 1);
    return n;
}

double scen_think(struct scen *s, uint32_t buyer)
{
    double t = -1;

    if (!hook(s, "think"))
        return -1;
    lua_pushinteger(s->L, buyer);
    if (call(s, "think", 1) < 0)
        return -1;
    if (lua_isnumber(s->L, -1))
        t = lua_tonumber(s->L, -1);
    lua_pop(s->L, 1);
    return t;
}

enum act scen_decide(struct scen *s, uint32_t buyer, const char *hold_id,
                     const int32_t *seats, int n)
{
    enum act a = ACT_DEFAULT;
    const char *r;
    int i;

    if (!hook(s, "decide"))
        return ACT_DEFAULT;
    lua_pushinteger(s->L, buyer);
    lua_createtable(s->L, 0, 2);
    lua_pushstring(s->L, hold_id);
    lua_setfield(s->L, -2, "id");
    lua_createtable(s->L, n, 0);
    for (i = 0; i < n; i++) {
        lua_pushstring(s->L, s->v->id[seats[i]]);
        lua_seti(s->L, -2, i + 1);
    }
    lua_setfield(s->L, -2, "seats");
    if (call(s, "decide", 2) < 0)
        return ACT_DEFAULT;
    r = lua_tostring(s->L, -1);
    if (r && strcmp(r, "reserve") == 0) a = ACT_RESERVE;
    else if (r && strcmp(r, "release") == 0) a = ACT_RELEASE;
    else if (r && strcmp(r, "abandon") == 0) a = ACT_ABANDON;
    lua_pop(s->L, 1);
    return a;
}

int scen_on_conflict(struct scen *s, uint32_t buyer, char **taken, int ntaken, int attempt)
{
    const char *r;
    int v = -1, i;

    if (!hook(s, "on_conflict"))
        return -1;
    lua_pushinteger(s->L, buyer);
    lua_createtable(s->L, ntaken, 0);
    for (i = 0; i < ntaken; i++) {
        lua_pushstring(s->L, taken[i]);
        lua_seti(s->L, -2, i + 1);
    }
    lua_pushinteger(s->L, attempt);
    if (call(s, "on_conflict", 3) < 0)
        return -1;
    r = lua_tostring(s->L, -1);
    if (r && strcmp(r, "retry") == 0) v = 1;
    else if (r && strcmp(r, "giveup") == 0) v = 0;
    lua_pop(s->L, 1);
    return v;
}

/* Appends ,"<key>":["..",..] from the list field `key` of the table on
 * top of the stack: at most 16 names of 1 to 64 characters of
 * [A-Za-z0-9._:- ] (others are left out). Returns the bytes written. */
static size_t wish_list(lua_State *L, const char *key, char *out, size_t cap)
{
    size_t off = 0, k;
    int i, n = 0;

    lua_getfield(L, -1, key);
    for (i = 1; lua_istable(L, -1) && i <= 16; i++) {
        const char *v;
        int ok = 1;
        lua_geti(L, -1, i);
        v = lua_tostring(L, -1);
        for (k = 0; v && v[k] && ok; k++)
            ok = isalnum((unsigned char)v[k]) || strchr("._:- ", v[k]);
        if (v && ok && k >= 1 && k <= 64 && off + k + strlen(key) + 12 < cap) {
            if (n++ == 0)
                off += (size_t)snprintf(out + off, cap - off, ",\"%s\":[", key);
            else
                out[off++] = ',';
            off += (size_t)snprintf(out + off, cap - off, "\"%s\"", v);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (n)
        off += (size_t)snprintf(out + off, cap - off, "]");
    return off;
}

int scen_best(struct scen *s, uint32_t buyer, int k, char *out, size_t cap)
{
    size_t off;

    out[0] = '\0';
    if (!hook(s, "best"))
        return -1;
    lua_pushinteger(s->L, buyer);
    lua_pushinteger(s->L, k);
    if (call(s, "best", 2) < 0)
        return -1;
    if (!lua_istable(s->L, -1)) {
        lua_pop(s->L, 1);
        return -1;
    }
    off = wish_list(s->L, "sections", out, cap);
    wish_list(s->L, "categories", out + off, cap - off);
    lua_pop(s->L, 1);
    return 0;
}
