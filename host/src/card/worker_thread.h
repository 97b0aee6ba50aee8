// One thread that runs jobs in the order they were queued. Card work runs on
// such threads so that the request loop never waits for a card: a PIN-pad
// login may block its thread for minutes, and only its own queue waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cardbound::host
{

class WorkerThread
{
  public:
    using Job = std::function<void()>;

    explicit WorkerThread(std::string name);
    // Joins the thread after the queued jobs have run: call stop() first
    // when a job may be stuck.
    ~WorkerThread();
    WorkerThread(const WorkerThread &) = delete;
    WorkerThread &operator=(const WorkerThread &) = delete;

    // Queues a job. A job must not throw: it answers its own errors.
    void post(Job job);
    // True while a job runs or waits.
    bool busy() const;
    // Asks the thread to finish the queued jobs and end; waits up to
    // `patience` for it. False when it is still inside a job (a PIN pad, a
    // hung module): then the caller must not wait longer, and the thread is
    // left to the process's exit.
    bool stop(std::chrono::milliseconds patience);

  private:
    void run();

    std::string name_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Job> jobs_;
    bool running_job_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    std::thread thread_;
};

} // namespace cardbound::host
