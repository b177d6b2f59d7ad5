// provider-python with real python3 workers, part 2: the workers' lives. A timeout kills the
// worker's whole process group and a fresh worker takes over; a crash fails only its own
// call; limits and the working directory as the code sees them; a script that forks; cancel
// of running and waiting calls; stop with calls open; an interpreter that does not start.

#include "provider_python_fixture.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace provider_python_test;

namespace {

int read_pid(const std::filesystem::path& file) {
    for (int i = 0; i < 1500; ++i) {
        std::ifstream in(file);
        int pid = 0;
        if (in >> pid && pid > 0)
            return pid;
        std::this_thread::sleep_for(10ms);
    }
    BOOST_FAIL("no pid in " + file.string());
    return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_python)

BOOST_AUTO_TEST_CASE(a_timeout_kills_the_worker_group_and_a_fresh_worker_serves_the_next_call) {
    scratch_dir d;
    python_fixture f(obj(R"({"workers": 1})"));
    f.execute("before", "import os\nresult = os.getpid()");
    const auto before = f.value_of("before");
    // The call starts a grandchild, then hangs: both must go.
    json::object more{{"timeout", 0.5}, {"context", {{"pidfile", (d.path / "sleep.pid").string()}}}};
    f.execute("hang", "import subprocess, time\n"
                      "p = subprocess.Popen(['sleep', '300'])\n"
                      "open(context['pidfile'], 'w').write(str(p.pid))\n"
                      "time.sleep(300)\n",
              more);
    const int grandchild = read_pid(d.path / "sleep.pid");
    BOOST_TEST(f.error_of("hang") == "timeout|retryable|execute: timed out after 0.5 s; its worker was killed");
    BOOST_TEST(becomes_gone(before.to_number<int>()));
    BOOST_TEST(becomes_gone(grandchild));
    f.execute("after", "import os\nresult = os.getpid()");
    const auto after = f.value_of("after");
    BOOST_TEST(after != before);
    BOOST_TEST(f.host.gauge("workers") == 1);
    BOOST_TEST(f.host.gauge("restarts_total") == 1);
}

BOOST_AUTO_TEST_CASE(without_params_timeout_the_task_s_timeout_applies) {
    python_fixture f(obj(R"({"workers": 1})"));
    f.call("slow", "execute", json::object{{"code", "import time\ntime.sleep(60)"}}, 300ms);
    BOOST_TEST(f.error_of("slow") == "timeout|retryable|execute: timed out after 0.3 s; its worker was killed");
    // The shorter of the two wins.
    f.call("short", "execute", json::object{{"code", "import time\ntime.sleep(60)"}, {"timeout", 0.2}}, 30000ms);
    BOOST_TEST(f.error_of("short") == "timeout|retryable|execute: timed out after 0.2 s; its worker was killed");
}

BOOST_AUTO_TEST_CASE(a_crash_fails_only_its_own_call_and_the_worker_is_replaced) {
    python_fixture f(obj(R"({"workers": 2})"));
    f.execute("slow", "import time\ntime.sleep(0.8)\nresult = 'fine'");
    f.execute("exit", "import os, time\ntime.sleep(0.1)\nos._exit(3)");
    BOOST_TEST(f.error_of("exit") == "provider_error|retryable|execute: the python worker died (exit code 3)");
    BOOST_TEST(f.value_of("slow") == "fine");
    f.execute("segv", "import ctypes\nctypes.string_at(0)");
    BOOST_TEST(f.error_of("segv") == "provider_error|retryable|execute: the python worker died (killed by SIGSEGV)");
    f.execute("after", "result = 'healthy'");
    BOOST_TEST(f.value_of("after") == "healthy");
    BOOST_TEST(f.host.gauge("workers") == 2);
    BOOST_TEST(f.host.gauge("restarts_total") == 2);
    BOOST_TEST(f.host.gauge("calls_total") == 4);
}

BOOST_AUTO_TEST_CASE(code_that_writes_into_the_protocol_on_purpose_costs_only_its_worker) {
    python_fixture f(obj(R"({"workers": 1})"));
    f.execute("breach", "import __main__, os\nos.write(__main__.PROTO_OUT, b'not json\\n')\nimport time\ntime.sleep(5)");
    BOOST_TEST(f.error_of("breach") == "provider_error|retryable|execute: the python worker was killed: it wrote a line that is not a JSON object");
    f.execute("after", "result = 'fresh worker'");
    BOOST_TEST(f.value_of("after") == "fresh worker");
    BOOST_TEST(f.host.gauge("restarts_total") == 1);
}

BOOST_AUTO_TEST_CASE(limits_and_the_working_directory_apply_to_every_worker) {
    scratch_dir d;
    json::object config{{"working_directory", d.path.string()}, {"open_files", 100}, {"memory_mb", 256}};
    python_fixture f(config);
    f.execute("limits", "import os, resource\n"
                        "g = lambda r: resource.getrlimit(r)[0]\n"
                        "result = [os.getcwd(), g(resource.RLIMIT_NOFILE), g(resource.RLIMIT_AS), "
                        "g(resource.RLIMIT_CORE)]");
    BOOST_TEST(json::serialize(f.value_of("limits")) ==
               "[\"" + d.path.string() + "\",100," + std::to_string(256u << 20) + ",0]");
    // Over the address space, Python raises MemoryError: a failure of the code, not a crash.
    f.execute("memory", "x = bytearray(512 * 1024 * 1024)");
    BOOST_TEST(f.error_of("memory").ends_with("\nMemoryError"));
}

BOOST_AUTO_TEST_CASE(workers_get_the_configured_environment_and_not_the_hub_s_secrets) {
    // PATH only ends the same: an interpreter wrapper (pyenv's) may put its own dirs first.
    ::setenv("GLEITZEIT_TEST_API_KEY", "secret", 1);
    ::setenv("HOME", "/nonexistent-home", 0); // only if unset, so there is one to pass on
    python_fixture f(obj(R"({"environment": {"GREETING": "hello", "LANG": "C.UTF-8"}})"));
    ::unsetenv("GLEITZEIT_TEST_API_KEY");
    f.execute("env", "import os\n"
                     "result = [os.environ.get('GLEITZEIT_TEST_API_KEY'), os.environ.get('GREETING'), "
                     "os.environ.get('LANG'), os.environ.get('HOME') == context['home'], "
                     "os.environ.get('PATH', '').endswith(context['path'])]",
              {{"context", {{"home", std::getenv("HOME")}, {"path", std::getenv("PATH")}}}});
    BOOST_TEST(json::serialize(f.value_of("env")) == R"([null,"hello","C.UTF-8",true,true])");
}

BOOST_AUTO_TEST_CASE(cpu_seconds_kills_a_spinning_call_and_counts_per_call) {
    python_fixture f(obj(R"({"workers": 1, "cpu_seconds": 1})"));
    // Each of these uses most of a CPU second: the limit is moved on per call, so a warm
    // worker does not run out of it.
    for (int i = 0; i < 3; ++i) {
        const std::string id = "busy" + std::to_string(i);
        f.execute(id, "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\nresult = 1");
        BOOST_TEST(f.value_of(id) == 1);
    }
    f.execute("spin", "while True: pass", obj(R"({"timeout": 30})"));
    BOOST_TEST(f.error_of("spin") == "provider_error|retryable|execute: the python worker died (killed by SIGXCPU, over cpu_seconds)");
}

BOOST_AUTO_TEST_CASE(a_script_that_forks_completes_and_the_pool_stays_healthy) {
    python_fixture f(obj(R"({"workers": 1})"));
    f.execute("fork", "import os, time\n"
                      "pid = os.fork()\n"
                      "if pid == 0:\n"
                      "    print('from the child')\n"
                      "else:\n"
                      "    os.waitpid(pid, 0)\n"
                      "result = os.getpid()\n");
    // A child that outlives the call, returns from the code after the parent's reply, and
    // then must neither answer nor read a request.
    f.execute("late", "import os, time\n"
                      "if os.fork() == 0:\n"
                      "    time.sleep(0.3)\n"
                      "result = os.getpid()\n");
    const auto worker = f.value_of("fork");
    BOOST_TEST(f.wait("fork").result->at("stdout") == "from the child\n");
    BOOST_TEST(f.value_of("late") == worker);
    std::this_thread::sleep_for(500ms);
    for (int i = 0; i < 3; ++i)
        f.execute("next" + std::to_string(i), "import os\nresult = os.getpid()");
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(f.value_of("next" + std::to_string(i)) == worker);
    BOOST_TEST(f.host.gauge("restarts_total") == 0);
}

BOOST_AUTO_TEST_CASE(cancel_ends_a_running_call_and_a_waiting_one) {
    python_fixture f(obj(R"({"workers": 1})"));
    f.execute("pid", "import os\nresult = os.getpid()");
    const auto first = f.value_of("pid");
    f.execute("running", "import time\ntime.sleep(60)");
    f.execute("waiting", "result = 'never'");
    std::this_thread::sleep_for(200ms);
    f.provider->cancel("waiting");
    BOOST_TEST(f.error_of("waiting") == "cancelled|final|cancelled");
    BOOST_TEST(!f.has_result("running"));
    f.provider->cancel("running");
    BOOST_TEST(f.error_of("running") == "cancelled|final|cancelled");
    BOOST_TEST(becomes_gone(first.to_number<int>()));
    f.execute("after", "result = 'served'");
    BOOST_TEST(f.value_of("after") == "served");
    f.provider->cancel("unknown-task"); // nothing to do, nothing breaks
    for (const auto& [task, count] : f.delivered)
        BOOST_TEST(count == 1, task);
}

BOOST_AUTO_TEST_CASE(stop_cancels_open_calls_and_ends_every_worker) {
    scratch_dir d;
    python_fixture f(obj(R"({"workers": 2})"));
    // Two calls that run at once run on both workers; each tells its worker's pid.
    for (const char* id : {"long1", "long2"})
        f.execute(id, "import os, time\n"
                      "open(context['pidfile'], 'w').write(str(os.getpid()))\n"
                      "time.sleep(60)\n",
                  {{"context", {{"pidfile", (d.path / id).string()}}}});
    const int pid1 = read_pid(d.path / "long1");
    const int pid2 = read_pid(d.path / "long2");
    BOOST_TEST(pid1 != pid2);
    f.execute("queued", "result = 1");
    f.provider->stop();
    // stop() returned: every done has run, every worker is gone.
    BOOST_TEST(f.has_result("long1"));
    BOOST_TEST(f.error_of("long1") == "cancelled|final|provider-python is stopping");
    BOOST_TEST(f.error_of("long2") == "cancelled|final|provider-python is stopping");
    BOOST_TEST(f.error_of("queued") == "cancelled|final|provider-python is stopping");
    BOOST_TEST(process_gone(pid1));
    BOOST_TEST(process_gone(pid2));
    f.execute("late", "result = 1");
    BOOST_TEST(f.error_of("late") == "cancelled|final|provider-python is stopped");
    for (const auto& [task, count] : f.delivered)
        BOOST_TEST(count == 1, task);
}

BOOST_AUTO_TEST_CASE(destroyed_without_stop_it_ends_its_workers_and_leaves_the_host_alone) {
    scratch_dir d;
    python_fixture f(obj(R"({"workers": 2})"));
    json::object more{{"context", {{"pidfile", (d.path / "worker.pid").string()}}}};
    f.execute("open", "import os, time\n"
                      "open(context['pidfile'], 'w').write(str(os.getpid()))\n"
                      "time.sleep(60)\n",
              more);
    const int worker = read_pid(d.path / "worker.pid");
    f.host.drain();
    f.host.closed = true;
    f.provider.reset();
    BOOST_TEST(process_gone(worker));
    BOOST_TEST(f.host.touched_after_close == 0);
    BOOST_TEST(!f.has_result("open"));
}

BOOST_AUTO_TEST_CASE(an_interpreter_that_does_not_start_fails_calls_instead_of_hanging) {
    python_fixture f(obj(R"({"python": "/bin/false", "workers": 1})"));
    f.execute("x", "result = 1");
    BOOST_TEST(f.error_of("x") == "provider_error|retryable|execute: no python worker could start (exit code 1)");
    bool logged = false;
    for (const auto& [level, line] : f.host.logs())
        logged = logged || (level == gleitzeit::log_level::error &&
                            line == "a python worker did not start (exit code 1)");
    BOOST_TEST(logged);
}

BOOST_AUTO_TEST_SUITE_END()
