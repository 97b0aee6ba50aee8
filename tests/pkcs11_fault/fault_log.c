#include "fault_log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "cardbound-pkcs11-fault[PID]: MESSAGE\n", cut short rather than split. */
static int format_line(char *line, size_t size, const char *format, va_list args)
{
    int head = snprintf(line, size, "cardbound-pkcs11-fault[%ld]: ", (long)getpid());
    if (head < 0 || (size_t)head >= size)
        return 0;
    int body = vsnprintf(line + head, size - (size_t)head, format, args);
    if (body < 0)
        return 0;
    size_t len = (size_t)head + (size_t)body;
    if (len > size - 2)
        len = size - 2;
    line[len++] = '\n';
    line[len] = '\0';
    return (int)len;
}

static void write_all(int fd, const char *text, int len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, (size_t)len);
        if (n <= 0)
            return;
        text += n;
        len -= (int)n;
    }
}

/* Opened for each line: a test may remove or replace the log between calls. */
static int append_to_log_file(const char *line, int len)
{
    const char *path = getenv("CARDBOUND_FAULT_LOG");
    if (path == NULL || *path == '\0')
        return 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return 0;
    write_all(fd, line, len);
    close(fd);
    return 1;
}

void fault_log(const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start(args, format);
    int len = format_line(line, sizeof line, format, args);
    va_end(args);
    if (!append_to_log_file(line, len))
        write_all(STDERR_FILENO, line, len);
}

void fault_warn(const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start(args, format);
    int len = format_line(line, sizeof line, format, args);
    va_end(args);
    append_to_log_file(line, len);
    write_all(STDERR_FILENO, line, len);
}
