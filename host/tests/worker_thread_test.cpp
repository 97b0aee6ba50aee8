// A card thread runs its jobs in order, and stopping never waits longer
// than it is told for a job that is stuck.
#include "card/worker_thread.h"

#include <atomic>
#include <doctest/doctest.h>
#include <future>
#include <vector>

using namespace cardbound::host;
using namespace std::chrono_literals;

TEST_CASE("jobs run in the order they were queued, off the caller's thread")
{
    WorkerThread worker("test");
    std::vector<int> order;
    std::promise<std::thread::id> ran_on;
    for (int i = 0; i < 5; i++)
        worker.post([&order, i] { order.push_back(i); });
    worker.post([&ran_on] { ran_on.set_value(std::this_thread::get_id()); });
    CHECK(ran_on.get_future().get() != std::this_thread::get_id());
    CHECK(worker.stop(5s));
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("stop gives up on a stuck job after its patience, and a stopped thread takes no job")
{
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    auto worker = std::make_unique<WorkerThread>("stuck");
    std::atomic<bool> started = false;
    worker->post([&started, released] {
        started = true;
        released.wait();
    });
    while (!started)
        std::this_thread::yield();
    CHECK(worker->busy());
    CHECK_FALSE(worker->stop(50ms));
    std::atomic<bool> late = false;
    worker->post([&late] { late = true; });
    release.set_value();
    CHECK(worker->stop(5s));
    CHECK_FALSE(late);
    worker.reset(); // joins
}
