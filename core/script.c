#include "config.h"

#include <stddef.h>
#include <strings.h>
#include "core/script.h"

static const char *const names[CUR_NSCRIPTS] = {
	"latin", "greek", "cyrillic", "armenian", "hebrew", "arabic", "devanagari",
	"bengali", "gurmukhi", "gujarati", "oriya", "tamil", "telugu", "kannada",
	"malayalam", "sinhala", "thai", "lao", "tibetan", "myanmar", "georgian",
	"hangul", "ethiopic", "khmer", "han", "hiragana", "katakana", "other",
};

/* Sorted, disjoint ranges of code points and their script ids. */
static const struct {
	uint32_t lo, hi;
	unsigned char id;
} ranges[] = {
	{0x0000, 0x02AF, 0}, {0x0370, 0x03FF, 1}, {0x0400, 0x052F, 2}, {0x0530, 0x058F, 3},
	{0x0590, 0x05FF, 4}, {0x0600, 0x06FF, 5}, {0x0750, 0x077F, 5}, {0x08A0, 0x08FF, 5},
	{0x0900, 0x097F, 6}, {0x0980, 0x09FF, 7}, {0x0A00, 0x0A7F, 8}, {0x0A80, 0x0AFF, 9},
	{0x0B00, 0x0B7F, 10}, {0x0B80, 0x0BFF, 11}, {0x0C00, 0x0C7F, 12}, {0x0C80, 0x0CFF, 13},
	{0x0D00, 0x0D7F, 14}, {0x0D80, 0x0DFF, 15}, {0x0E00, 0x0E7F, 16}, {0x0E80, 0x0EFF, 17},
	{0x0F00, 0x0FFF, 18}, {0x1000, 0x109F, 19}, {0x10A0, 0x10FF, 20}, {0x1100, 0x11FF, 21},
	{0x1200, 0x139F, 22}, {0x1780, 0x17FF, 23}, {0x1C80, 0x1C8F, 2}, {0x1E00, 0x1EFF, 0},
	{0x1F00, 0x1FFF, 1}, {0x2C60, 0x2C7F, 0}, {0x2DE0, 0x2DFF, 2}, {0x2E80, 0x2FDF, 24},
	{0x3040, 0x309F, 25}, {0x30A0, 0x30FF, 26}, {0x3130, 0x318F, 21}, {0x31F0, 0x31FF, 26},
	{0x3400, 0x4DBF, 24}, {0x4E00, 0x9FFF, 24}, {0xA640, 0xA69F, 2}, {0xA720, 0xA7FF, 0},
	{0xAC00, 0xD7AF, 21}, {0xF900, 0xFAFF, 24}, {0xFB1D, 0xFB4F, 4}, {0xFB50, 0xFDFF, 5},
	{0xFE70, 0xFEFF, 5}, {0xFF21, 0xFF5A, 0}, {0xFF66, 0xFF9F, 26}, {0x20000, 0x3134F, 24},
};

int cur_script_of(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(ranges) / sizeof(ranges[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < ranges[mid].lo)
			hi = mid;
		else if (cp > ranges[mid].hi)
			lo = mid + 1;
		else
			return ranges[mid].id;
	}
	return CUR_SCRIPT_OTHER;
}

const char *cur_script_name(int id)
{
	return id >= 0 && id < CUR_NSCRIPTS ? names[id] : "other";
}

int cur_script_id(const char *name)
{
	for (int i = 0; i < CUR_NSCRIPTS; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}
