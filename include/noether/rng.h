/* rng.h — xoshiro256** seeded through splitmix64: reproducible to the bit across
 * machines, one independent stream per purpose (data, init, check). */
#ifndef NOETHER_RNG_H
#define NOETHER_RNG_H
#include <stdint.h>

struct rng { uint64_t s[4]; int have_spare; double spare; };

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);         /* [0, 1) */
double rng_normal(struct rng *r);          /* N(0, 1), Marsaglia polar */
uint64_t rng_below(struct rng *r, uint64_t n); /* uniform in [0, n), n > 0 */
#endif
