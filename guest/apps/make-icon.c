/*
 * make-icon: writes fbtest's 32x32 menu icon as a PNG on stdout. Built and run on the build host
 * by guest/apps/build.sh, so no binary image is committed.
 *
 * The picture: fbtest's eight colour bars (4 pixels each) over the top 20 rows, a row of button
 * boxes below, a grey frame. The PNG is 8-bit indexed (PLTE), one IDAT of stored (uncompressed)
 * deflate blocks, no ancillary chunks: the same bytes on every host and zlib version.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define S 32

static const uint8_t PALETTE[][3] = {
	{ 0, 0, 0 },	   /* 0 black */
	{ 255, 255, 255 }, /* 1 white */
	{ 255, 255, 0 },   /* 2 yellow */
	{ 0, 255, 255 },   /* 3 cyan */
	{ 0, 255, 0 },	   /* 4 green */
	{ 255, 0, 255 },   /* 5 magenta */
	{ 255, 0, 0 },	   /* 6 red */
	{ 0, 0, 255 },	   /* 7 blue */
	{ 66, 65, 66 },	   /* 8 grey: RGB565 0x4208 widened, as fbtest's released boxes */
};

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
	c ^= 0xFFFFFFFFu;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void chunk(const char *type, const uint8_t *data, uint32_t len)
{
	uint8_t hdr[8];
	be32(hdr, len);
	memcpy(hdr + 4, type, 4);
	fwrite(hdr, 1, 8, stdout);
	fwrite(data, 1, len, stdout);
	uint32_t c = crc(crc(0, hdr + 4, 4), data, len);
	uint8_t tail[4];
	be32(tail, c);
	fwrite(tail, 1, 4, stdout);
}

int main(void)
{
	crc_init();
	uint8_t img[S][S];
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			uint8_t c = 0;
			if (y < 20)
				c = x / 4 < 7 ? (uint8_t)(1 + x / 4) : 0; /* bars: white .. blue, black */
			else if (y >= 23 && y < 29 && x >= 2 && x < 30 && (x - 2) % 7 < 5)
				c = (x - 2) / 7 == 1 ? 2 : 8; /* button boxes, the second one held */
			if (x == 0 || y == 0 || x == S - 1 || y == S - 1)
				c = 8;
			img[y][x] = c;
		}

	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	fwrite(sig, 1, 8, stdout);
	uint8_t ihdr[13];
	be32(ihdr, S);
	be32(ihdr + 4, S);
	ihdr[8] = 8;  /* bit depth */
	ihdr[9] = 3;  /* indexed colour */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filters */
	ihdr[12] = 0; /* no interlace */
	chunk("IHDR", ihdr, 13);
	chunk("PLTE", &PALETTE[0][0], sizeof PALETTE);

	/* Raw scanlines (filter byte 0 each), in one stored deflate block inside a zlib stream. */
	uint8_t raw[S * (S + 1)];
	for (int y = 0; y < S; y++) {
		raw[y * (S + 1)] = 0;
		memcpy(raw + y * (S + 1) + 1, img[y], S);
	}
	uint16_t len = sizeof raw;
	uint8_t z[2 + 5 + sizeof raw + 4];
	z[0] = 0x78; /* deflate, 32K window */
	z[1] = 0x01; /* no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0 */
	z[2] = 1;    /* final stored block */
	z[3] = len & 0xFF;
	z[4] = len >> 8;
	z[5] = ~len & 0xFF;
	z[6] = (uint16_t)~len >> 8;
	memcpy(z + 7, raw, sizeof raw);
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < sizeof raw; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	be32(z + 7 + sizeof raw, (b << 16) | a);
	chunk("IDAT", z, sizeof z);
	chunk("IEND", NULL, 0);
	return 0;
}
