/* String processing: generate a text from a pseudo-random vocabulary, split
 * it into words, count distinct words with a sorted index, search for
 * substrings with a naive scan, convert case, reverse each word in place,
 * and format and parse decimal numbers by hand. All byte-at-a-time work. */
#include <string.h>
#include "bench.h"

static const char *syll[] = {"ka", "ri", "mo", "te", "su", "an", "el", "or",
                             "ul", "qi", "zo", "ba", "ne", "lu", "fi", "da"};

static int word_cmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (unsigned char)*a - (unsigned char)*b;
}

/* Top-down merge sort of the word index (stable, our own code on both
 * targets rather than two different C libraries' qsort). */
static void sort_words(char **w, char **tmp, long n) {
  if (n < 2) return;
  long h = n / 2;
  sort_words(w, tmp, h);
  sort_words(w + h, tmp, n - h);
  long i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = word_cmp(w[j], w[i]) < 0 ? w[j++] : w[i++];
  while (i < h) tmp[k++] = w[i++];
  while (j < n) tmp[k++] = w[j++];
  memcpy(w, tmp, sizeof(char *) * (size_t)n);
}

static long count_occurrences(const char *text, long n, const char *pat) {
  long m = (long)strlen(pat), count = 0;
  for (long i = 0; i + m <= n; i++) {
    long j = 0;
    while (j < m && text[i + j] == pat[j]) j++;
    if (j == m) count++;
  }
  return count;
}

static int format_u32(char *out, uint32_t v) {
  char tmp[12];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

static uint32_t parse_u32(const char *s, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (uint32_t)(s[i] - '0');
  return v;
}

int main(int argc, char **argv) {
  long kb = bench_size(argc, argv, 6000);
  long cap = kb * 1024;
  char *text = malloc((size_t)cap + 64);
  if (!text) return 1;
  bench_rng r = {31337};
  long n = 0;
  while (n < cap) {
    int syllables = 1 + (int)(rng_next(&r) % 4);
    for (int s = 0; s < syllables; s++) {
      const char *p = syll[rng_next(&r) % 16];
      text[n++] = p[0];
      text[n++] = p[1];
    }
    text[n++] = (rng_next(&r) % 11 == 0) ? '\n' : ' ';
  }
  text[n] = 0;
  uint64_t sum = 0;

  /* Substring search over the raw text. */
  static const char *pats[] = {"kari", "mote", "suan", "elor", "zoba", "a k"};
  for (int i = 0; i < 6; i++) sum = mix64(sum, (uint64_t)count_occurrences(text, n, pats[i]));

  /* Split into words (a copy, NUL-separated) and sort an index of them. */
  char *copy = malloc((size_t)n + 1);
  char **words = malloc(sizeof(char *) * (size_t)(n / 2 + 1));
  char **scratch = malloc(sizeof(char *) * (size_t)(n / 2 + 1));
  if (!copy || !words || !scratch) return 1;
  memcpy(copy, text, (size_t)n + 1);
  long nw = 0;
  for (long i = 0; i < n;) {
    while (i < n && (copy[i] == ' ' || copy[i] == '\n')) copy[i++] = 0;
    if (i >= n) break;
    words[nw++] = copy + i;
    while (i < n && copy[i] != ' ' && copy[i] != '\n') i++;
  }
  sort_words(words, scratch, nw);
  long distinct = 0, longest_run = 0, run = 0;
  for (long i = 0; i < nw; i++) {
    if (i == 0 || word_cmp(words[i], words[i - 1]) != 0) {
      distinct++;
      run = 1;
    } else {
      run++;
    }
    if (run > longest_run) longest_run = run;
  }
  sum = mix64(mix64(mix64(sum, (uint64_t)nw), (uint64_t)distinct), (uint64_t)longest_run);

  /* Upper-case the text, then reverse every word in place. */
  for (long i = 0; i < n; i++)
    if (text[i] >= 'a' && text[i] <= 'z') text[i] = (char)(text[i] - 32);
  for (long i = 0; i < n;) {
    long j = i;
    while (j < n && text[j] != ' ' && text[j] != '\n') j++;
    for (long a = i, b = j - 1; a < b; a++, b--) {
      char t = text[a]; text[a] = text[b]; text[b] = t;
    }
    i = j + 1;
  }
  sum = fnv1a(sum, text, (size_t)n);

  /* Decimal formatting and parsing round trip. */
  char buf[16];
  uint32_t acc = 0;
  for (long i = 0; i < kb * 200; i++) {
    uint32_t v = (uint32_t)rng_next(&r);
    int len = format_u32(buf, v);
    acc += parse_u32(buf, len) ^ (uint32_t)len;
  }
  bench_report("strings", mix64(sum, acc));
  return 0;
}
