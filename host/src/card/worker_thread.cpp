#include "card/worker_thread.h"

#include <spdlog/spdlog.h>

namespace cardbound::host
{

WorkerThread::WorkerThread(std::string name) : name_(std::move(name))
{
    thread_ = std::thread([this] { run(); });
}

WorkerThread::~WorkerThread()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void WorkerThread::post(Job job)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

bool WorkerThread::busy() const
{
    std::lock_guard lock(mutex_);
    return running_job_ || !jobs_.empty();
}

bool WorkerThread::stop(std::chrono::milliseconds patience)
{
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
    return idle_.wait_for(lock, patience, [this] { return finished_; });
}

void WorkerThread::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty())
            break; // stopping, and nothing left to do
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        running_job_ = true;
        lock.unlock();
        try {
            job();
        } catch (const std::exception &e) {
            spdlog::error("{}: a job failed: {}", name_, e.what());
        }
        job = nullptr; // its captures (a PIN among them) go now, not at the next job
        lock.lock();
        running_job_ = false;
    }
    finished_ = true;
    idle_.notify_all();
}

} // namespace cardbound::host
