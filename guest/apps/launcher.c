/*
 * launcher: odtab's app menu on tty1 (started by /usr/sbin/frontend_start), a small stand-in for
 * gmenu2x. Text on the framebuffer console (53x24 characters at 320x240 with the 6x10 font):
 *
 *   row 0      "odtab launcher"
 *   row 2..    one line per entry: "> " before the selected one (also in reverse video), then
 *              the app's name and where it comes from
 *   last row   the keys
 *
 * Entries: every /media/NAME/apps/FILE.opk (its name from the image's *.gcw0.desktop or
 * *.all.desktop, read by loop-mounting it; the file name if it has none), every
 * /boot/local/apps/FILE.dge, and "Shell" (a login shell on tty1; `exit` comes back).
 * Buttons (evdev, grabbed only while the menu is in front): UP/DOWN move, A or START runs.
 * .dge: `/bin/sh -c PATH` in its folder. .opk, as opkrun does: loop-mount it read-only
 * (nodev, nosuid) on /mnt/NAME, chdir there, fork and exec the desktop file's Exec, wait, unmount.
 * After an app returns the console goes back to text mode and the list is scanned again.
 * What it runs and how that ended goes to the system console (the serial port) and dmesg; what it
 * lists and when it lets go of the buttons to dmesg only. Each line starts "launcher: ".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_ENTRIES 64
#define MAX_DEVS 8
#define COLS 53 /* lines are cut to what fits at 320x240 in the 6x10 font */
#define LIST_TOP 2

enum kind { OPK, DGE, SHELL };

struct entry {
	enum kind kind;
	char path[256];
	char name[64];
	char where[64];
};

static struct entry entries[MAX_ENTRIES];
static int nentries;
static int selected;
static struct pollfd keys[MAX_DEVS];
static int nkeys;

/*
 * Lines for developers and tests, each starting "launcher: ". All go to the kernel log at debug
 * level (dmesg shows them; the console does not print them a second time). What the user set in
 * motion (an app started, how it ended, why it could not start) also goes to the system console
 * (the serial port on odtab) unless the console is a VT, where it would draw over the menu; the
 * rest (the list, who has the buttons) stays out of the serial shell's way.
 */
static void vlog(int console, const char *fmt, va_list ap)
{
	char msg[480], buf[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	int fd;
	if (console && (fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
		int mode;
		if (ioctl(fd, KDGETMODE, &mode) < 0) {
			int n = snprintf(buf, sizeof buf, "launcher: %s\n", msg);
			if (write(fd, buf, n) < 0) {
				/* Best effort. */
			}
		}
		close(fd);
	}
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* The newline ends the record: without it the kernel holds the line back as one that may
		 * be continued, and neither dmesg nor the console sees it until the next one comes. */
		int n = snprintf(buf, sizeof buf, "<7>launcher: %s\n", msg);
		if (write(fd, buf, n) < 0) {
			/* Best effort. */
		}
		close(fd);
	}
}

/* Launches and their outcome: console and dmesg. */
static void logmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(1, fmt, ap);
	va_end(ap);
}

/* Everything else: dmesg only. */
static void debugmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ loop mounts */

/* Attach FILE read-only to a free loop device that frees itself on unmount; mount it on DIR. */
static int mount_opk(const char *file, const char *dir)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	int rc = -1;
	for (int tries = 0; tries < 4 && rc < 0; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			break;
		char dev[32];
		snprintf(dev, sizeof dev, "/dev/loop%d", n);
		int lfd = open(dev, O_RDONLY | O_CLOEXEC);
		int ffd = open(file, O_RDONLY | O_CLOEXEC);
		if (lfd >= 0 && ffd >= 0) {
			struct loop_config cfg;
			memset(&cfg, 0, sizeof cfg);
			cfg.fd = (unsigned)ffd;
			cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
			strncpy((char *)cfg.info.lo_file_name, file, LO_NAME_SIZE - 1);
			if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
				if (mount(dev, dir, "squashfs", MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) == 0)
					rc = 0;
				else
					tries = 4; /* not a squashfs: another device will not help */
			}
			/* EBUSY: someone took that device meanwhile; ask for another. */
		}
		if (ffd >= 0)
			close(ffd);
		if (lfd >= 0)
			close(lfd); /* with AUTOCLEAR the device goes once unmounted and closed */
	}
	close(ctl);
	return rc;
}

static void unmount_opk(const char *dir)
{
	if (umount(dir) < 0)
		umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/* /mnt/NAME for FILE (.../NAME.opk). */
static void mount_point(const char *file, char *out, size_t size)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".opk") == 0)
		len -= 4;
	snprintf(out, size, "/mnt/%.*s", (int)len, base);
}

/* ------------------------------------------------------------------ desktop files */

struct desktop {
	char name[64];
	char exec[192];
};

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
}

/* The first *.gcw0.desktop or *.all.desktop in DIR ([Desktop Entry] keys Name and Exec). */
static int read_desktop(const char *dir, struct desktop *d)
{
	memset(d, 0, sizeof *d);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	char file[512] = "";
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		if (!file[0] && ((len > 13 && strcmp(nm + len - 13, ".gcw0.desktop") == 0) ||
				 (len > 12 && strcmp(nm + len - 12, ".all.desktop") == 0)))
			snprintf(file, sizeof file, "%s/%s", dir, nm);
		free(names[i]);
	}
	free(names);
	if (!file[0])
		return -1;
	FILE *f = fopen(file, "re");
	if (!f)
		return -1;
	char line[256];
	int in_entry = 0;
	while (fgets(line, sizeof line, f)) {
		trim(line);
		if (line[0] == '[') {
			in_entry = strcmp(line, "[Desktop Entry]") == 0;
			continue;
		}
		if (!in_entry)
			continue;
		if (strncmp(line, "Name=", 5) == 0 && !d->name[0])
			snprintf(d->name, sizeof d->name, "%.63s", line + 5);
		else if (strncmp(line, "Exec=", 5) == 0 && !d->exec[0])
			snprintf(d->exec, sizeof d->exec, "%.191s", line + 5);
	}
	fclose(f);
	return d->exec[0] ? 0 : -1;
}

/* ------------------------------------------------------------------ the list */

static void add(enum kind kind, const char *path, const char *name, const char *where)
{
	if (nentries >= MAX_ENTRIES)
		return;
	struct entry *e = &entries[nentries++];
	e->kind = kind;
	snprintf(e->path, sizeof e->path, "%s", path);
	snprintf(e->name, sizeof e->name, "%s", name);
	snprintf(e->where, sizeof e->where, "%s", where);
}

/* Sorted names in DIR ending in SUFFIX (no glob(3): it drags NSS into a static binary). */
static int list_dir(const char *dir, const char *suffix, struct dirent ***out)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	size_t sl = strlen(suffix);
	int kept = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (names[i]->d_name[0] != '.' && len > sl && strcmp(names[i]->d_name + len - sl, suffix) == 0)
			names[kept++] = names[i];
		else
			free(names[i]);
	}
	*out = names;
	return kept;
}

static void free_list(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* /media/NAME/apps/FILE.opk: its desktop file's Name if it mounts, else the file name. */
static void add_opk(const char *media, const char *file)
{
	char path[256], dir[256];
	snprintf(path, sizeof path, "/media/%.64s/apps/%.160s", media, file);
	const char *name = file;
	struct desktop d;
	mount_point(path, dir, sizeof dir);
	if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
		if (mount_opk(path, dir) == 0) {
			if (read_desktop(dir, &d) == 0 && d.name[0])
				name = d.name;
			add(OPK, path, name, media);
			unmount_opk(dir);
			return;
		}
		rmdir(dir);
	}
	add(OPK, path, name, media);
}

static void scan(void)
{
	nentries = 0;
	struct dirent **media;
	int nm = list_dir("/media", "", &media);
	for (int m = 0; m < nm; m++) {
		char apps[320];
		struct dirent **opks;
		snprintf(apps, sizeof apps, "/media/%s/apps", media[m]->d_name);
		int no = list_dir(apps, ".opk", &opks);
		for (int i = 0; i < no; i++)
			add_opk(media[m]->d_name, opks[i]->d_name);
		if (no > 0)
			free_list(opks, no);
	}
	if (nm > 0)
		free_list(media, nm);
	struct dirent **dges;
	int nd = list_dir("/boot/local/apps", ".dge", &dges);
	for (int i = 0; i < nd; i++) {
		char path[300];
		snprintf(path, sizeof path, "/boot/local/apps/%.200s", dges[i]->d_name);
		add(DGE, path, dges[i]->d_name, "local");
	}
	if (nd > 0)
		free_list(dges, nd);
	add(SHELL, "/bin/sh", "Shell", "tty1");
	if (selected >= nentries)
		selected = nentries - 1;
	debugmsg("%d entries", nentries);
	for (int i = 0; i < nentries; i++)
		debugmsg("entry %d: %s (%s)", i, entries[i].name, entries[i].path);
}

static void draw(void)
{
	/* Home, clear, cursor off. */
	printf("\033[H\033[2J\033[?25l");
	printf("\033[1;1Hodtab launcher");
	/* The console's size (24 rows at 320x240 with fbcon's 6x10 font). */
	struct winsize ws;
	int rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 6 ? ws.ws_row : 24;
	int list_rows = rows - LIST_TOP - 2;
	int first = selected >= list_rows ? selected - list_rows + 1 : 0;
	for (int r = 0; r < list_rows && first + r < nentries; r++) {
		int i = first + r;
		char line[COLS + 1];
		snprintf(line, sizeof line, "%s%-28.28s %s", i == selected ? "> " : "  ", entries[i].name, entries[i].where);
		printf("\033[%d;1H%s%s\033[0m", LIST_TOP + r + 1, i == selected ? "\033[7m" : "", line);
	}
	printf("\033[%d;1HUP/DOWN: choose  A/START: run", rows);
	fflush(stdout);
}

/* ------------------------------------------------------------------ buttons */

static int is_keyboard(int fd)
{
	unsigned long bits[KEY_MAX / (8 * sizeof(unsigned long)) + 1];
	memset(bits, 0, sizeof bits);
	if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof bits), bits) < 0)
		return 0;
	unsigned long word = KEY_LEFTCTRL / (8 * sizeof(unsigned long));
	return (bits[word] >> (KEY_LEFTCTRL % (8 * sizeof(unsigned long)))) & 1;
}

static void grab_keys(void)
{
	nkeys = 0;
	for (int i = 0; i < 32 && nkeys < MAX_DEVS; i++) {
		char path[32];
		snprintf(path, sizeof path, "/dev/input/event%d", i);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!is_keyboard(fd) || ioctl(fd, EVIOCGRAB, 1) < 0) {
			close(fd);
			continue;
		}
		keys[nkeys].fd = fd;
		keys[nkeys].events = POLLIN;
		nkeys++;
	}
}

static void draw(void);

static void release_keys(void)
{
	for (int i = 0; i < nkeys; i++) {
		ioctl(keys[i].fd, EVIOCGRAB, 0);
		close(keys[i].fd);
	}
	nkeys = 0;
}

/*
 * The menu is in front while its VT is the one shown and in text mode. A program started from
 * elsewhere (the serial shell) that takes the screen puts the VT in graphics mode (KDSETMODE, as
 * fbtest and SDL's fbcon driver do): then the launcher lets go of the keyboard so that program
 * gets the buttons, and takes it back once the console is text again.
 */
static int in_front(void)
{
	struct stat st;
	int mode;
	struct vt_stat vs;
	if (ioctl(STDIN_FILENO, KDGETMODE, &mode) < 0)
		return 1; /* not on a VT: nobody to share the screen with */
	if (mode != KD_TEXT)
		return 0;
	if (fstat(STDIN_FILENO, &st) == 0 && major(st.st_rdev) == 4 && minor(st.st_rdev) > 0 &&
	    ioctl(STDIN_FILENO, VT_GETSTATE, &vs) == 0 && vs.v_active != minor(st.st_rdev))
		return 0;
	return 1;
}

/* Wait for a key press (not a release or autorepeat) while in front; the Linux key code. */
static int next_key(void)
{
	static int away;
	int grabbed = nkeys > 0;
	for (;;) {
		int front = in_front();
		if (!front && grabbed) {
			release_keys();
			grabbed = 0;
			away = 1;
			debugmsg("console taken by another program: buttons released");
		} else if (front && !grabbed) {
			grab_keys();
			grabbed = nkeys > 0;
			if (grabbed && away) {
				/* Back in front: the other program may have drawn over us. */
				away = 0;
				debugmsg("console back: buttons taken");
				draw();
			}
		}
		/* Look again four times a second (VT switches and mode changes send no event). */
		int n = poll(keys, grabbed ? nkeys : 0, 250);
		if (n < 0 && errno != EINTR)
			return -1;
		for (int i = 0; n > 0 && i < nkeys; i++) {
			if (!(keys[i].revents & POLLIN))
				continue;
			struct input_event ev[16];
			ssize_t got = read(keys[i].fd, ev, sizeof ev);
			for (ssize_t k = 0; k < got / (ssize_t)sizeof ev[0]; k++)
				if (ev[k].type == EV_KEY && ev[k].value == 1)
					return ev[k].code;
		}
	}
}

/* ------------------------------------------------------------------ running apps */

/* Split EXEC into words (no quoting in OpenDingux desktop files), dropping %f-style field codes. */
static int split_exec(char *exec, char **argv, int max)
{
	int n = 0;
	for (char *tok = strtok(exec, " \t"); tok && n < max - 1; tok = strtok(NULL, " \t"))
		if (!(tok[0] == '%' && tok[1] && !tok[2]))
			argv[n++] = tok;
	argv[n] = NULL;
	return n;
}

static int run_child(const char *dir, char *const argv[], const char *what)
{
	pid_t pid = fork();
	if (pid < 0) {
		logmsg("cannot fork for %s: %s", what, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		if (dir && chdir(dir) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "launcher: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		logmsg("%s exited with status %d", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		logmsg("%s killed by signal %d", what, WTERMSIG(status));
	return 0;
}

static void run_entry(const struct entry *e)
{
	printf("\033[H\033[2J\033[?25h");
	fflush(stdout);
	release_keys();
	if (e->kind == DGE) {
		char dir[256];
		snprintf(dir, sizeof dir, "%s", e->path);
		*strrchr(dir, '/') = 0;
		logmsg("running %s: /bin/sh -c %s", e->path, e->path);
		char *argv[] = { "/bin/sh", "-c", (char *)e->path, NULL };
		run_child(dir, argv, e->path);
	} else if (e->kind == SHELL) {
		logmsg("running a login shell on tty1");
		char *argv[] = { "/bin/sh", "-l", NULL };
		run_child(NULL, argv, "shell");
	} else {
		char dir[256];
		struct desktop d;
		mount_point(e->path, dir, sizeof dir);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			logmsg("cannot make %s for %s: %s", dir, e->path, strerror(errno));
		} else if (mount_opk(e->path, dir) < 0) {
			logmsg("cannot mount %s on %s: %s", e->path, dir, strerror(errno));
			rmdir(dir);
		} else {
			if (read_desktop(dir, &d) < 0) {
				logmsg("%s has no gcw0/all desktop file with an Exec line", e->path);
			} else {
				char *argv[16];
				char exec[sizeof d.exec + 2];
				logmsg("running %s (%s) on %s: %s", e->path, e->name, dir, d.exec);
				if (split_exec(d.exec, argv, 16) > 0) {
					/* Exec names a program inside the image, as opkrun runs it. */
					char local[512];
					snprintf(local, sizeof local, "%s/%s", dir, argv[0]);
					if (!strchr(argv[0], '/') && access(local, X_OK) == 0) {
						snprintf(exec, sizeof exec, "./%s", argv[0]);
						argv[0] = exec;
					}
					run_child(dir, argv, e->path);
				}
			}
			unmount_opk(dir);
		}
	}
	/* Whatever the app left: text mode (fbcon repaints), no typed-ahead input. next_key() takes
	 * the buttons again. */
	ioctl(STDIN_FILENO, KDSETMODE, KD_TEXT);
	tcflush(STDIN_FILENO, TCIFLUSH);
}

int main(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	debugmsg("started");
	scan();
	for (;;) {
		draw();
		int key = next_key();
		switch (key) {
		case KEY_UP:
			if (selected > 0)
				selected--;
			break;
		case KEY_DOWN:
			if (selected < nentries - 1)
				selected++;
			break;
		case KEY_LEFTCTRL: /* A */
		case KEY_ENTER:	   /* START */
			run_entry(&entries[selected]);
			scan();
			break;
		case -1:
			debugmsg("cannot read the buttons: %s", strerror(errno));
			sleep(1);
			break;
		}
	}
}
