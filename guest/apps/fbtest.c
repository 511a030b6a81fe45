/*
 * fbtest: odtab's framebuffer and buttons test, an OpenDingux-style app (.dge and .opk).
 *
 * Screen (320x240 RGB565, drawn at the top left of the visible area, which is found from the
 * var/fix screen info so line_length != width*2, a larger virtual size and pan offsets work):
 *   y   0..119  eight colour bars, each 40 pixels wide, x = 40*i .. 40*i+39, left to right:
 *               white FFFF, yellow FFE0, cyan 07FF, green 07E0, magenta F81F, red F800,
 *               blue 001F, black 0000
 *   y 120..159  black
 *   y 160..179  one 20x20 box per button at x = 4 + 24*i .. 4 + 24*i + 19, in the order of
 *               BUTTONS below (UP DOWN LEFT RIGHT A B X Y L R START SELECT POWER):
 *               grey 4208 while released, yellow FFE0 while held
 *   the rest    black
 * Buttons: the keyboard's evdev devices (/dev/input/event*), grabbed (EVIOCGRAB) while fbtest
 * runs so the VT and the launcher do not also act on the keys (a launcher holding the grab gets
 * two seconds to notice the console in graphics mode and let go). Each press and release is printed
 * on stdout as `fbtest: NAME down` / `fbtest: NAME up` (other keys as `fbtest: key CODE down`).
 * SELECT+START held together exits (status 0); so do SIGINT/SIGTERM. On exit the console is put
 * back in text mode, which makes fbcon redraw it.
 * Startup prints `fbtest: ready WxH BPPbpp line_length=N` once the picture is drawn.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/input.h>
#include <linux/kd.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define W 320
#define H 240
#define MAX_DEVS 8

struct button {
	const char *name;
	unsigned short code;
};

/* The Dingoo/GCW-Zero buttons as the OpenDingux kernels report them (gpio-keys). */
static const struct button BUTTONS[] = {
	{ "UP", KEY_UP },	  { "DOWN", KEY_DOWN },	    { "LEFT", KEY_LEFT },  { "RIGHT", KEY_RIGHT },
	{ "A", KEY_LEFTCTRL },	  { "B", KEY_LEFTALT },	    { "X", KEY_SPACE },	   { "Y", KEY_LEFTSHIFT },
	{ "L", KEY_TAB },	  { "R", KEY_BACKSPACE },   { "START", KEY_ENTER }, { "SELECT", KEY_ESC },
	{ "POWER", KEY_POWER },
};
#define NBUTTONS (sizeof(BUTTONS) / sizeof(BUTTONS[0]))
enum { B_START = 10, B_SELECT = 11 };

static const uint16_t BARS[8] = { 0xFFFF, 0xFFE0, 0x07FF, 0x07E0, 0xF81F, 0xF800, 0x001F, 0x0000 };
#define BOX_OFF 0x4208
#define BOX_ON 0xFFE0
#define BOX_Y 160
#define BOX_SIZE 20

static uint8_t *fb;		/* first visible pixel */
static unsigned long line_length;
static int console_fd = -1;
static volatile sig_atomic_t stop;

static void fill(int x0, int y0, int w, int h, uint16_t c)
{
	for (int y = y0; y < y0 + h; y++) {
		uint16_t *p = (uint16_t *)(fb + (unsigned long)y * line_length) + x0;
		for (int x = 0; x < w; x++)
			p[x] = c;
	}
}

static void draw_box(unsigned i, int lit)
{
	fill(4 + 24 * (int)i, BOX_Y, BOX_SIZE, BOX_SIZE, lit ? BOX_ON : BOX_OFF);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Console back to text mode: fbcon repaints the whole screen. */
static void restore_console(void)
{
	if (console_fd >= 0) {
		ioctl(console_fd, KDSETMODE, KD_TEXT);
		close(console_fd);
		console_fd = -1;
	}
}

static int is_keyboard(int fd)
{
	unsigned long bits[KEY_MAX / (8 * sizeof(unsigned long)) + 1];
	memset(bits, 0, sizeof bits);
	if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof bits), bits) < 0)
		return 0;
	unsigned long word = KEY_LEFTCTRL / (8 * sizeof(unsigned long));
	return (bits[word] >> (KEY_LEFTCTRL % (8 * sizeof(unsigned long)))) & 1;
}

static int open_keyboards(struct pollfd *pfd)
{
	int n = 0;
	for (int i = 0; i < 32 && n < MAX_DEVS; i++) {
		char path[32];
		snprintf(path, sizeof path, "/dev/input/event%d", i);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!is_keyboard(fd)) {
			close(fd);
			continue;
		}
		/* A menu holding the keyboard (odtab's launcher) lets go within a moment of the console
		 * going to graphics mode: try for two seconds. */
		int tries = 0, grabbed;
		while (!(grabbed = ioctl(fd, EVIOCGRAB, 1) == 0) && errno == EBUSY && tries++ < 40)
			usleep(50000);
		if (!grabbed)
			fprintf(stderr, "fbtest: cannot grab %s: %s\n", path, strerror(errno));
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		n++;
	}
	return n;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);

	int fbfd = open("/dev/fb0", O_RDWR | O_CLOEXEC);
	if (fbfd < 0) {
		fprintf(stderr, "fbtest: cannot open /dev/fb0: %s\n", strerror(errno));
		return 1;
	}
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	if (ioctl(fbfd, FBIOGET_VSCREENINFO, &var) < 0 || ioctl(fbfd, FBIOGET_FSCREENINFO, &fix) < 0) {
		fprintf(stderr, "fbtest: /dev/fb0 screen info: %s\n", strerror(errno));
		return 1;
	}
	if (var.bits_per_pixel != 16 || var.xres < W || var.yres < H) {
		fprintf(stderr, "fbtest: need at least %dx%d at 16 bpp, /dev/fb0 is %ux%u at %u bpp\n", W, H,
			var.xres, var.yres, var.bits_per_pixel);
		return 1;
	}
	line_length = fix.line_length ? fix.line_length : (unsigned long)var.xres_virtual * 2;
	unsigned long first = (unsigned long)var.yoffset * line_length + (unsigned long)var.xoffset * 2;
	unsigned long need = first + (unsigned long)(H - 1) * line_length + W * 2;
	unsigned long len = fix.smem_len;
	if (len < need) {
		fprintf(stderr, "fbtest: framebuffer of %lu bytes is smaller than the %lu the mode needs\n", len, need);
		return 1;
	}
	uint8_t *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fbfd, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "fbtest: mmap /dev/fb0: %s\n", strerror(errno));
		return 1;
	}
	fb = base + first;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* Graphics mode on the foreground VT: fbcon stops drawing text and the cursor over us. */
	console_fd = open("/dev/tty0", O_RDWR | O_CLOEXEC);
	if (console_fd >= 0 && ioctl(console_fd, KDSETMODE, KD_GRAPHICS) < 0) {
		close(console_fd);
		console_fd = -1;
	}

	fill(0, 0, W, H, 0x0000);
	for (int i = 0; i < 8; i++)
		fill(40 * i, 0, 40, 120, BARS[i]);
	for (unsigned i = 0; i < NBUTTONS; i++)
		draw_box(i, 0);

	struct pollfd pfd[MAX_DEVS];
	int ndev = open_keyboards(pfd);
	if (ndev == 0)
		fprintf(stderr, "fbtest: no keyboard in /dev/input (buttons will not work)\n");
	printf("fbtest: ready %ux%u %ubpp line_length=%lu\n", var.xres, var.yres, var.bits_per_pixel, line_length);

	int held[NBUTTONS] = { 0 };
	while (!stop) {
		if (poll(pfd, ndev, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int d = 0; d < ndev; d++) {
			if (!(pfd[d].revents & POLLIN))
				continue;
			struct input_event ev[16];
			ssize_t got = read(pfd[d].fd, ev, sizeof ev);
			for (ssize_t k = 0; k < got / (ssize_t)sizeof ev[0]; k++) {
				/* value 2 is autorepeat: not a press. */
				if (ev[k].type != EV_KEY || ev[k].value > 1)
					continue;
				int down = ev[k].value == 1;
				unsigned b;
				for (b = 0; b < NBUTTONS && BUTTONS[b].code != ev[k].code; b++)
					;
				if (b == NBUTTONS) {
					printf("fbtest: key %u %s\n", ev[k].code, down ? "down" : "up");
					continue;
				}
				held[b] = down;
				draw_box(b, down);
				printf("fbtest: %s %s\n", BUTTONS[b].name, down ? "down" : "up");
				if (held[B_SELECT] && held[B_START]) {
					printf("fbtest: SELECT+START, exiting\n");
					stop = 1;
				}
			}
		}
	}

	for (int d = 0; d < ndev; d++) {
		ioctl(pfd[d].fd, EVIOCGRAB, 0);
		close(pfd[d].fd);
	}
	munmap(base, len);
	close(fbfd);
	restore_console();
	printf("fbtest: bye\n");
	return 0;
}
