/*
 * floattest: hard-float smoke test for the odtab guest.
 *
 * Built static against Debian's mipsel glibc (hard float, FPXX), so every
 * line below exercises real COP1 instructions in the emulated CPU, plus the
 * kernel's FPU context switch (CU1 off -> CpU exception -> lazy restore).
 *
 * Inputs are read through volatile variables so gcc cannot constant-fold the
 * arithmetic away at build time. The output is fully deterministic (IEEE-754
 * round-to-nearest, correctly rounded glibc results), so a test can compare
 * it byte for byte. Each line is "name value"; a value followed by
 * "bits=XXXXXXXX..." is the exact IEEE bit pattern, so a one-ulp error in
 * the emulator shows up even where %.6f would hide it. The last line is
 * "floattest: PASS" when every result matches its expected bit pattern,
 * else "floattest: FAIL n" (n = number of mismatches), and the exit status
 * is 0 or 1 accordingly.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile double v_two = 2.0, v_one = 1.0, v_three = 3.0, v_zero = 0.0;
static volatile double v_neg = -2.75, v_half = 2.5, v_big = 1e300;
static volatile float v_f11 = 1.1f, v_f2 = 2.0f;
static volatile int v_i = -7;

static int failures;

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static void check_d(const char *name, double got, uint64_t want)
{
	uint64_t b = dbits(got);
	printf("%s %.6f bits=%016llx\n", name, got, (unsigned long long)b);
	if (b != want) {
		printf("  MISMATCH %s: want bits=%016llx\n", name, (unsigned long long)want);
		failures++;
	}
}

static void check_f(const char *name, float got, uint32_t want)
{
	uint32_t b = fbits(got);
	printf("%s %.6f bits=%08x\n", name, (double)got, (unsigned)b);
	if (b != want) {
		printf("  MISMATCH %s: want bits=%08x\n", name, (unsigned)want);
		failures++;
	}
}

static void check_i(const char *name, long got, long want)
{
	printf("%s %ld\n", name, got);
	if (got != want) {
		printf("  MISMATCH %s: want %ld\n", name, want);
		failures++;
	}
}

int main(void)
{
	double nan_v = v_zero / v_zero;

	/* sqrt.d, div.d, mul.d/add.d in libm, cvt between formats */
	check_d("sqrt2", sqrt(v_two), 0x3ff6a09e667f3bcdULL);
	check_d("div1_3", v_one / v_three, 0x3fd5555555555555ULL);
	check_d("sin1", sin(v_one), 0x3feaed548f090ceeULL);
	check_d("exp1", exp(v_one), 0x4005bf0a8b145769ULL);
	check_d("log2", log(v_two), 0x3fe62e42fefa39efULL);
	check_d("pow2_0.5", pow(v_two, 0.5), 0x3ff6a09e667f3bcdULL);
	check_d("mul_neg", v_neg * v_three, 0xc020800000000000ULL);
	check_d("int2dbl", (double)v_i, 0xc01c000000000000ULL);
	check_f("f1.1sq", v_f11 * v_f11, 0x3f9ae148U);
	check_f("fsqrt2", sqrtf(v_f2), 0x3fb504f3U);
	check_f("dbl2flt", (float)(v_one / v_three), 0x3eaaaaabU);
	/* trunc.w.d, and cvt.w.d under the default round-to-nearest-even mode */
	check_i("trunc_neg2.75", (long)(int)v_neg, -2);
	check_i("lrint2.5", lrint(v_half), 2);
	check_i("lrint3.5", lrint(v_half + v_one), 4);
	check_i("floor_neg2.75", (long)floor(v_neg), -3);
	/* special values: NaN compares unequal to itself, overflow gives inf */
	check_i("isnan", isnan(nan_v) ? 1 : 0, 1);
	check_i("nan_ne_self", nan_v != nan_v ? 1 : 0, 1);
	check_i("isinf_overflow", isinf(v_big * v_big) ? 1 : 0, 1);
	check_i("lt_compare", v_neg < v_zero ? 1 : 0, 1);

	if (failures)
		printf("floattest: FAIL %d\n", failures);
	else
		printf("floattest: PASS\n");
	return failures ? 1 : 0;
}
