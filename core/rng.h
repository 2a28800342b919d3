/* The one pseudo-random generator: splitmix64, small, fast and the same
 * on every machine, so that a seed gives the same outputs everywhere. */
#ifndef CUR_RNG_H
#define CUR_RNG_H

#include <stdint.h>

typedef struct cur_rng {
	uint64_t s;
} cur_rng;

/* cur_mix64: the splitmix64 finalizer of x + the golden-ratio step, a good
 * 64-bit hash; cur_rng_next is this over a counter. */
static inline uint64_t cur_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t cur_rng_next(cur_rng *r)
{
	uint64_t x = r->s;

	r->s += 0x9e3779b97f4a7c15ULL;
	return cur_mix64(x);
}

/* cur_rng_below: uniform in [0, n) (Lemire's multiply, bias < n / 2^64). */
static inline uint64_t cur_rng_below(cur_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)cur_rng_next(r) * n) >> 64);
}

#endif
