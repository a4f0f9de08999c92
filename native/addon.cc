// pipework-netlink's native addon: the few system calls JavaScript cannot make.
//
// It opens NETLINK and AF_PACKET sockets (optionally inside another network
// namespace), moves bytes in and out of them without blocking, and reports
// readiness through a uv_poll_t on the Node event loop. It also opens plain
// files inside another network namespace: what /proc/sys/net shows depends on
// the namespace of the thread that opens it (see OpenFile). It knows nothing
// about message formats: every byte is encoded and decoded in TypeScript.
//
// Errors are thrown as Error objects shaped like Node's own system errors:
// `code` ('EEXIST'), `errno` (negative) and `syscall`.

#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  std::string msg = std::string(uv_err_name(-err)) + ": " + strerror(err) + ", " + syscall;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Runs `make` on the calling thread inside the network namespace `nsFd` (when
// nsFd >= 0) and switches back. A socket keeps the namespace it was created
// in, so this is all it takes to own a socket in a guest; an open file under
// /proc/sys/net likewise keeps the namespace it was opened in. setns(2)
// changes the calling thread only, which is why this must run on the JS
// thread and never on a libuv pool thread. If switching back
// fails the thread would go on in the wrong namespace: abort instead.
// Returns make()'s result, or -errno with *syscall naming the failed call.
template <typename F>
int InNamespace(int nsFd, const char** syscall, F make) {
  if (nsFd < 0) return make(syscall);
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    *syscall = "open";
    return -errno;
  }
  if (setns(nsFd, CLONE_NEWNET) < 0) {
    int err = errno;
    close(self);
    *syscall = "setns";
    return -err;
  }
  int result = make(syscall);
  if (setns(self, CLONE_NEWNET) < 0) {
    fprintf(stderr, "pipework: cannot return to the original network namespace: %s\n",
            strerror(errno));
    abort();
  }
  close(self);
  return result;
}

int OptionalFd(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return -1;
  return info[i].As<Napi::Number>().Int32Value();
}

struct AddonData {
  Napi::FunctionReference socketCtor;
};

// A socket plus its readiness watcher. JS owns it; close() stops the watcher
// before the fd is closed, as libuv requires.
class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Socket",
                       {
                           InstanceAccessor<&Socket::GetFd>("fd"),
                           InstanceMethod<&Socket::Send>("send"),
                           InstanceMethod<&Socket::Recv>("recv"),
                           InstanceMethod<&Socket::SetSockOptInt>("setsockopt"),
                           InstanceMethod<&Socket::AttachFilter>("attachFilter"),
                           InstanceMethod<&Socket::Poll>("poll"),
                           InstanceMethod<&Socket::Pause>("pause"),
                           InstanceMethod<&Socket::Ref>("ref"),
                           InstanceMethod<&Socket::Unref>("unref"),
                           InstanceMethod<&Socket::Close>("close"),
                           InstanceMethod<&Socket::CloseInBackground>("closeInBackground"),
                       });
  }

  explicit Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
  }

  ~Socket() override { Shutdown(true); }

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  bool CheckOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    ThrowErrno(env, EBADF, "socket");
    return false;
  }

  // Returns bytes sent, or -1 when the socket would block.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto buf = info[0].As<Napi::Uint8Array>();
    ssize_t n = send(fd_, buf.Data(), buf.ByteLength(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
      return ThrowErrno(env, errno, "send");
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // Returns the datagram's full length (MSG_TRUNC: larger than the buffer means
  // it was cut), or -1 when nothing is waiting.
  Napi::Value Recv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto buf = info[0].As<Napi::Uint8Array>();
    ssize_t n = recv(fd_, buf.Data(), buf.ByteLength(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
      return ThrowErrno(env, errno, "recv");
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value SetSockOptInt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int level = info[0].As<Napi::Number>().Int32Value();
    int name = info[1].As<Napi::Number>().Int32Value();
    int value = info[2].As<Napi::Number>().Int32Value();
    if (setsockopt(fd_, level, name, &value, sizeof value) < 0) return ThrowErrno(env, errno, "setsockopt");
    return env.Undefined();
  }

  // attachFilter(program): SO_ATTACH_FILTER with a classic BPF program, given
  // as the packed array of struct sock_filter (8 bytes each: u16 code, u8 jt,
  // u8 jf, u32 k, host byte order; linux/filter.h). The kernel copies the
  // program during setsockopt, so the buffer need not outlive the call. The
  // struct sock_fprog that carries it holds a pointer, which is why this is
  // its own primitive rather than a setsockopt of bytes.
  Napi::Value AttachFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto buf = info[0].As<Napi::Uint8Array>();
    size_t n = buf.ByteLength();
    if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS) {
      return ThrowErrno(env, EINVAL, "setsockopt");
    }
    std::vector<struct sock_filter> copy(n / sizeof(struct sock_filter));  // aligned storage for the instructions
    memcpy(copy.data(), buf.Data(), n);
    struct sock_fprog prog;
    prog.len = static_cast<unsigned short>(copy.size());
    prog.filter = copy.data();
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) return ThrowErrno(env, errno, "setsockopt");
    return env.Undefined();
  }

  // poll(callback): call callback(status) whenever the socket is readable.
  Napi::Value Poll(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      poll_ = new uv_poll_t;
      int rc = uv_poll_init(loop, poll_, fd_);
      if (rc < 0) {
        delete poll_;
        poll_ = nullptr;
        return ThrowErrno(env, -rc, "uv_poll_init");
      }
      poll_->data = this;
      if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
    int rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (rc < 0) return ThrowErrno(env, -rc, "uv_poll_start");
    return env.Undefined();
  }

  Napi::Value Pause(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_poll_stop(poll_);
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    referenced_ = true;
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    referenced_ = false;
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown(true);
    return info.Env().Undefined();
  }

  // Closing an AF_PACKET socket waits for an RCU grace period (~12 ms). Do it
  // on a thread of its own: not on the event loop, and not on libuv's pool,
  // where a burst of closes would hold up every fs, dns and zlib call of the
  // application. Concurrent waits share grace periods, so 200 closes on 200
  // threads take about as long as one. If a thread cannot be made, close here.
  static void* CloseFd(void* arg) {
    close(static_cast<int>(reinterpret_cast<intptr_t>(arg)));
    return nullptr;
  }

  Napi::Value CloseInBackground(const Napi::CallbackInfo& info) {
    int fd = fd_;
    Shutdown(false);
    if (fd >= 0) {
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_attr_setstacksize(&attr, 64 * 1024);
      pthread_t thread;
      if (pthread_create(&thread, &attr, CloseFd, reinterpret_cast<void*>(static_cast<intptr_t>(fd))) != 0) close(fd);
      pthread_attr_destroy(&attr);
    }
    return info.Env().Undefined();
  }

  // Stops the watcher and, when closeFd, closes the descriptor.
  void Shutdown(bool closeFd) {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (!callback_.IsEmpty()) callback_.Reset();
    if (fd_ >= 0 && closeFd) close(fd_);
    fd_ = -1;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<Socket*>(handle->data);
    if (self == nullptr || self->callback_.IsEmpty()) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    self->callback_.MakeCallback(env.Global(), {Napi::Number::New(env, status)});
  }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool referenced_ = true;
  Napi::FunctionReference callback_;
};

Napi::Value NewSocket(Napi::Env env, int fd) {
  auto* data = env.GetInstanceData<AddonData>();
  return data->socketCtor.New({Napi::Number::New(env, fd)});
}

// openNetlink(protocol, nsFd?) -> Socket (non-blocking, close-on-exec)
Napi::Value OpenNetlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  int nsFd = OptionalFd(info, 1);
  const char* syscall = "socket";
  int fd = InNamespace(nsFd, &syscall, [&](const char** sc) {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (s < 0) {
      *sc = "socket";
      return -errno;
    }
    // Bind at once (nl_pid 0: the kernel picks a port id). An unbound socket
    // has port id 0 until its first send, and rtnetlink multicasts skip port
    // id 0: a socket that subscribes before it sends would hear nothing.
    struct sockaddr_nl snl;
    memset(&snl, 0, sizeof snl);
    snl.nl_family = AF_NETLINK;
    if (bind(s, reinterpret_cast<struct sockaddr*>(&snl), sizeof snl) < 0) {
      int err = errno;
      close(s);
      *sc = "bind";
      return -err;
    }
    return s;
  });
  if (fd < 0) return ThrowErrno(env, -fd, syscall);
  return NewSocket(env, fd);
}

// openPacket(ifindex, ethertype, nsFd?) -> Socket bound to that interface.
// ethertype 0 makes a send-only socket that receives nothing.
Napi::Value OpenPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  int ethertype = info[1].As<Napi::Number>().Int32Value();
  int nsFd = OptionalFd(info, 2);
  const char* syscall = "socket";
  int fd = InNamespace(nsFd, &syscall, [&](const char** sc) {
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ethertype));
    if (s < 0) {
      *sc = "socket";
      return -errno;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ethertype);
    sll.sll_ifindex = ifindex;
    if (bind(s, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll) < 0) {
      int err = errno;
      close(s);
      *sc = "bind";
      return -err;
    }
    return s;
  });
  if (fd < 0) return ThrowErrno(env, -fd, syscall);
  return NewSocket(env, fd);
}

// openFile(path, flags, nsFd?) -> fd (a plain number; the caller reads, writes
// and closes it, e.g. with node:fs). open(2) with flags | O_CLOEXEC and mode
// 0666 (before the umask, for O_CREAT), inside namespace nsFd when given.
//
// Why inside: the files under /proc/sys/net (per-interface sysctls such as
// net/ipv6/conf/<if>/disable_ipv6, and the per-namespace ones like
// net/ipv4/ip_forward) are looked up in the network namespace of the opening
// thread, current->nsproxy->net_ns (fs/proc/proc_sysctl.c; the per-netns
// tables are registered with register_net_sysctl(), include/net/net_namespace.h).
// An open file stays bound to the table it was opened on, so reads and writes
// after setns back still reach the guest's values.
//
// A path with a NUL byte in it cannot be passed to open(2): EINVAL, as the ffi
// backend does.
Napi::Value OpenFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  int nsFd = OptionalFd(info, 2);
  if (path.find('\0') != std::string::npos) return ThrowErrno(env, EINVAL, "open");
  const char* syscall = "open";
  int fd = InNamespace(nsFd, &syscall, [&](const char** sc) {
    int f = open(path.c_str(), flags | O_CLOEXEC, 0666);
    if (f < 0) {
      *sc = "open";
      return -errno;
    }
    return f;
  });
  if (fd < 0) return ThrowErrno(env, -fd, syscall);
  return Napi::Number::New(env, fd);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function ctor = Socket::Init(env);
  data->socketCtor = Napi::Persistent(ctor);
  env.SetInstanceData(data);
  exports.Set("Socket", ctor);
  exports.Set("openNetlink", Napi::Function::New(env, OpenNetlink));
  exports.Set("openPacket", Napi::Function::New(env, OpenPacket));
  exports.Set("openFile", Napi::Function::New(env, OpenFile));
  return exports;
}

}  // namespace

NODE_API_MODULE(pipework_native, Init)
