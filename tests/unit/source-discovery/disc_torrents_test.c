/* SPDX-License-Identifier: MIT
 * Tests of disc_scrape_interval, the adaptive schedule of seeder checks: each volatility band
 * (< 5 % doubles, < 10 % keeps, < 20 % x 0.75, < 50 % halves, more resets), a count rising
 * from zero, unknown figures before, the jitter, and the bounds holding whatever the input. */
#include "cm.h"
#include "disc_torrents.h"
#include "../../tap.h"

enum { BASE = 6 * 3600, MIN = 1800, MAX = 72 * 3600 };

static int s_next(int prev, int64_t os, int64_t ol, uint32_t s, uint32_t l)
{
    return disc_scrape_interval(prev, os, ol, s, l, BASE, MIN, MAX, 1.0);
}

int main(void)
{
    is_int(s_next(0, -1, -1, 10, 2), BASE, "the first check: the base interval");
    is_int(s_next(7200, -1, 3, 10, 2), BASE, "seeders unknown before: the base");
    is_int(s_next(7200, 100, 10, 102, 10), 14400, "2 % change: doubled");
    is_int(s_next(7200, 100, 10, 100, 10), 14400, "no change: doubled");
    is_int(s_next(7200, 100, 100, 107, 100), 7200, "7 % change: kept");
    is_int(s_next(7200, 100, 100, 100, 115), 5400, "15 % (leechers): x 0.75");
    is_int(s_next(7200, 100, 100, 70, 100), 3600, "30 % drop: halved");
    is_int(s_next(7200, 100, 100, 400, 100), BASE, "300 % change: back to the base");
    is_int(s_next(7200, 0, 0, 5, 0), BASE, "from 0 to 5 seeders: 100 %, back to the base");
    is_int(s_next(7200, 0, 0, 0, 0), 14400, "0 stays 0: doubled");
    is_int(s_next(MAX, 50, 5, 50, 5), MAX, "doubling stops at the maximum");
    is_int(s_next(MIN, 100, 100, 60, 100), MIN, "halving stops at the minimum");
    is_int(s_next(100, 100, 100, 100, 100), MIN, "a tiny previous interval is raised to the min");
    is_int(disc_scrape_interval(7200, 100, 10, 100, 10, BASE, MIN, MAX, 0.8), 11520,
           "jitter 0.8 applies");
    is_int(disc_scrape_interval(7200, 100, 10, 100, 10, BASE, MIN, MAX, 1.2), 17280,
           "jitter 1.2 applies");
    is_int(disc_scrape_interval(7200, 100, 10, 100, 10, BASE, MIN, MAX, 99.0), 14400,
           "a jitter out of range is ignored");
    bool bounded = true;
    uint32_t x = 12345;
    for (int i = 0; i < 100000 && bounded; i++) {
        x = x * 1103515245u + 12345u;
        int prev = (int)(x % (2 * MAX));
        x = x * 1103515245u + 12345u;
        int n =
            disc_scrape_interval(prev, (int64_t)(x % 1000) - 1, (int64_t)(x % 777) - 1, x % 5000,
                                 (x >> 8) % 5000, BASE, MIN, MAX, 0.8 + (x % 41) / 100.0);
        bounded = n >= MIN && n <= MAX;
    }
    ok(bounded, "100000 random inputs stay within [min, max]");
    return done_testing();
}
