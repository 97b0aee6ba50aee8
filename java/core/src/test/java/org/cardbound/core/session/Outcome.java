package org.cardbound.core.session;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cardbound.core.validation.ValidationException;

// "ok" or the refusal's code, as the C++ tests' outcome(): what the
// relying-party tests compare, one call at a time or racing.
final class Outcome {
    private Outcome() {}

    interface Step {
        void run() throws Exception;
    }

    static String outcome(Step step) {
        try {
            step.run();
            return "ok";
        } catch (ValidationException e) {
            return e.code().name();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // Runs the steps (round robin over `threads` threads) from one start
    // signal; returns their outcomes in the steps' order.
    static List<String> race(int threads, Step... steps) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads), go = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Step step = steps[i % steps.length];
                results.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return outcome(step);
                }));
            }
            assertTrue(ready.await(30, TimeUnit.SECONDS));
            go.countDown();
            List<String> out = new ArrayList<>();
            for (Future<String> f : results) out.add(f.get(60, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}

