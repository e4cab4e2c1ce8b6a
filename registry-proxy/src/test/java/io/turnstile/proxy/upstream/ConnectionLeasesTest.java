package io.turnstile.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConnectionLeasesTest {
  private final EventLoop a = new DefaultEventLoop();
  private final EventLoop b = new DefaultEventLoop();

  @AfterEach
  void stop() {
    a.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    b.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  @Test
  void leasesBeyondTheBound_wait_andAreGrantedInTurn_whicheverLoopGivesOneBack() throws Exception {
    ConnectionLeases leases = new ConnectionLeases("vendor", 2, Duration.ofSeconds(10));
    assertThat(leases.acquire(a).await(1, TimeUnit.SECONDS)).isTrue();
    assertThat(leases.acquire(a).isSuccess()).isTrue();
    Future<Void> third = leases.acquire(b);
    Future<Void> fourth = leases.acquire(a);
    assertThat(third.isDone()).isFalse();
    assertThat(leases.waiting()).isEqualTo(2);

    leases.release();
    assertThat(third.await(1, TimeUnit.SECONDS)).isTrue();
    assertThat(third.isSuccess()).isTrue();
    assertThat(fourth.isDone()).isFalse();
    assertThat(leases.inUse()).isEqualTo(2);

    leases.release();
    assertThat(fourth.await(1, TimeUnit.SECONDS)).isTrue();
    leases.release();
    leases.release();
    assertThat(leases.inUse()).isZero();
  }

  @Test
  void aWaiterThatGivesUp_passesItsTurnOn() throws Exception {
    ConnectionLeases leases = new ConnectionLeases("vendor", 1, Duration.ofSeconds(10));
    leases.acquire(a).sync();
    Future<Void> gaveUp = leases.acquire(a);
    Future<Void> next = leases.acquire(b);
    gaveUp.cancel(false);
    leases.release();
    assertThat(next.await(1, TimeUnit.SECONDS)).isTrue();
    assertThat(next.isSuccess()).isTrue();
    assertThat(leases.inUse()).isEqualTo(1);
    assertThat(leases.waiting()).isZero();
  }

  @Test
  void aWaitBeyondTheTimeLimit_failsSayingWhy_andLeavesTheLine() throws Exception {
    ConnectionLeases leases = new ConnectionLeases("vendor", 1, Duration.ofMillis(200));
    leases.acquire(a).sync();
    Future<Void> waiter = leases.acquire(a);
    assertThat(waiter.await(2, TimeUnit.SECONDS)).isTrue();
    assertThat(waiter.cause()).isInstanceOf(ConnectionLeases.BusyException.class)
        .hasMessage("no connection to the upstream registry came free within 200ms (maxConnections: 1, all in use)");
    assertThat(leases.waiting()).isZero();
    leases.release();
    assertThat(leases.inUse()).isZero();
  }

  @Test
  void manyCallsOnTwoLoops_neverHoldMoreThanTheBound_andGiveEveryLeaseBack() throws Exception {
    ConnectionLeases leases = new ConnectionLeases("vendor", 3, Duration.ofSeconds(30));
    AtomicInteger held = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    int calls = 8_000;
    CountDownLatch done = new CountDownLatch(calls);
    List<Thread> askers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      EventLoop loop = t % 2 == 0 ? a : b;
      Thread asker = new Thread(() -> {
        for (int i = 0; i < calls / 4; i++) {
          leases.acquire(loop).addListener(f -> {
            if (!f.isSuccess()) {
              refused.incrementAndGet();
              done.countDown();
              return;
            }
            peak.accumulateAndGet(held.incrementAndGet(), Math::max);
            held.decrementAndGet();
            leases.release();
            done.countDown();
          });
        }
      });
      askers.add(asker);
      asker.start();
    }
    for (Thread asker : askers) {
      asker.join();
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(refused.get()).isZero();
    assertThat(peak.get()).isLessThanOrEqualTo(3);
    assertThat(leases.inUse()).isZero();
    assertThat(leases.waiting()).isZero();
  }
}
