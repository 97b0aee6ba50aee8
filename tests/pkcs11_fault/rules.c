#include "rules.h"

#include "ckr_names.h"
#include "fault_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    LABEL_MAX = 32,                   /* CK_TOKEN_INFO.label */
    FILE_MAX = 64 * 1024,             /* a test's rules are a few lines */
    DELAY_MAX_MS = 24 * 3600 * 1000L, /* long enough to stand for "never answers" */
};

static const char *const function_names[FAULT_FUNCTION_COUNT] = {
    [FAULT_C_GET_TOKEN_INFO] = "C_GetTokenInfo",
    [FAULT_C_OPEN_SESSION] = "C_OpenSession",
    [FAULT_C_LOGIN] = "C_Login",
    [FAULT_C_FIND_OBJECTS_INIT] = "C_FindObjectsInit",
    [FAULT_C_SIGN_INIT] = "C_SignInit",
    [FAULT_C_SIGN] = "C_Sign",
};

const char *fault_function_name(enum fault_function function)
{
    return function_names[function];
}

struct rule {
    enum fault_function function;
    int any_label;
    char label[LABEL_MAX + 1];
    int once;
    int fired;
    struct fault_action action;
};

/* Which version of the control file the table was read from. */
struct file_version {
    int present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule *rules;
static size_t rule_count;
static struct file_version loaded;

static struct file_version version_of(const struct stat *st)
{
    return (struct file_version){1, st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim};
}

static int same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static int same_version(const struct file_version *a, const struct file_version *b)
{
    if (!a->present || !b->present)
        return a->present == b->present;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           same_time(a->mtime, b->mtime) && same_time(a->ctime, b->ctime);
}

static int parse_delay(const char *text, long *ms)
{
    if (*text < '0' || *text > '9')
        return 0;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > DELAY_MAX_MS)
        return 0;
    *ms = value;
    return 1;
}

/* Parses one line (comment already cut off) into *rule. Returns NULL when it
 * is a rule, otherwise why not. Words are separated by blanks, so a label
 * with a space in it cannot be named (the test tokens have none). */
static const char *parse_rule(char *line, struct rule *rule)
{
    char *save = NULL;
    char *function = strtok_r(line, " \t\r", &save);
    char *label = strtok_r(NULL, " \t\r", &save);
    if (label == NULL)
        return "want FUNCTION LABEL ACTION...";
    int known = 0;
    for (int f = 0; f < FAULT_FUNCTION_COUNT; f++) {
        if (strcmp(function, function_names[f]) == 0) {
            rule->function = (enum fault_function)f;
            known = 1;
        }
    }
    if (!known)
        return "unknown function (C_GetTokenInfo, C_OpenSession, C_Login, C_FindObjectsInit, "
               "C_SignInit and C_Sign can fail)";
    if (strlen(label) > LABEL_MAX)
        return "a token label has at most 32 characters";
    rule->any_label = strcmp(label, "*") == 0;
    strcpy(rule->label, label);

    int has_delay = 0;
    for (char *word; (word = strtok_r(NULL, " \t\r", &save)) != NULL;) {
        if (strncmp(word, "delay=", 6) == 0) {
            if (has_delay || !parse_delay(word + 6, &rule->action.delay_ms))
                return "delay= wants one number of milliseconds (at most a day)";
            has_delay = 1;
        } else if (strncmp(word, "rv=", 3) == 0) {
            if (rule->action.answers || !ckr_parse(word + 3, &rule->action.rv))
                return "rv= wants one CKR_ name or number";
            rule->action.answers = 1;
        } else if (strcmp(word, "once") == 0 && !rule->once) {
            rule->once = 1;
        } else if (strcmp(word, "after") == 0 && !rule->action.after) {
            rule->action.after = 1;
        } else {
            return "unknown or repeated action (delay=MS, rv=CKR_X, once, after)";
        }
    }
    if (!has_delay && !rule->action.answers)
        return "a rule needs delay=MS or rv=CKR_X";
    if (rule->action.after && !rule->action.answers)
        return "after needs rv=CKR_X";
    return NULL;
}

static void parse_file(const char *path, char *text)
{
    size_t capacity = 0;
    int number = 0;
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        number++;

        struct rule rule = {0};
        rule.action.line = number;
        snprintf(rule.action.text, sizeof rule.action.text, "%s", line);
        char *comment = strchr(line, '#');
        if (comment != NULL)
            *comment = '\0';
        if (line[strspn(line, " \t\r")] == '\0')
            continue;
        const char *problem = parse_rule(line, &rule);
        if (problem != NULL) {
            fault_warn("%s:%d: line ignored: %s: %s", path, number, problem, rule.action.text);
            continue;
        }
        if (rule_count == capacity) {
            size_t grown = capacity ? 2 * capacity : 8;
            struct rule *bigger = realloc(rules, grown * sizeof *bigger);
            if (bigger == NULL) {
                fault_warn("%s:%d: out of memory, rules from here on ignored", path, number);
                return;
            }
            rules = bigger;
            capacity = grown;
        }
        rules[rule_count++] = rule;
    }
}

/* Reads the control file open on fd into the (empty) table. */
static void load(const char *path, int fd)
{
    char *text = malloc(FILE_MAX + 1);
    if (text == NULL)
        return;
    size_t len = 0;
    for (ssize_t n; len < FILE_MAX && (n = read(fd, text + len, FILE_MAX - len)) != 0;) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fault_warn("%s: %s; no rules until it changes", path, strerror(errno));
            len = 0;
            break;
        }
        len += (size_t)n;
    }
    if (len == FILE_MAX)
        fault_warn("%s: only the first %d bytes are read", path, FILE_MAX);
    text[len] = '\0';
    parse_file(path, text);
    free(text);
}

/* The table goes with the module: the host unloads it (PKCS11_CTX_unload)
 * at exit, and a table left behind would be a leak under LeakSanitizer. */
__attribute__((destructor)) static void free_rules(void)
{
    pthread_mutex_lock(&table_lock);
    free(rules);
    rules = NULL;
    rule_count = 0;
    pthread_mutex_unlock(&table_lock);
}

/* Called with table_lock held. */
static void refresh(void)
{
    const char *path = getenv("CARDBOUND_FAULT_CONTROL");
    struct stat st;
    struct file_version now = {0};
    if (path != NULL && *path != '\0' && stat(path, &st) == 0)
        now = version_of(&st);
    if (same_version(&now, &loaded))
        return;

    free(rules);
    rules = NULL;
    rule_count = 0;
    loaded = now;
    if (!now.present)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fault_warn("%s: %s; no rules until it changes", path, strerror(errno));
        return;
    }
    /* The version of what is read, should the file have been replaced since stat(). */
    if (fstat(fd, &st) == 0)
        loaded = version_of(&st);
    load(path, fd);
    close(fd);
}

int rules_cover(enum fault_function function)
{
    pthread_mutex_lock(&table_lock);
    refresh();
    int covered = 0;
    for (size_t i = 0; i < rule_count && !covered; i++)
        covered = rules[i].function == function;
    pthread_mutex_unlock(&table_lock);
    return covered;
}

int rules_take(enum fault_function function, const char *label, struct fault_action *action)
{
    int taken = 0;
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < rule_count && !taken; i++) {
        struct rule *rule = &rules[i];
        if (rule->function != function || (rule->once && rule->fired))
            continue;
        if (!rule->any_label && (label == NULL || strcmp(rule->label, label) != 0))
            continue;
        rule->fired = 1;
        *action = rule->action;
        taken = 1;
    }
    pthread_mutex_unlock(&table_lock);
    return taken;
}
