/* Every error path of the config.json parser, with its exact message.  */
#include <fcntl.h>
#include <unistd.h>

#include "test_spec.h"

#define C(frag)  "{'ociVersion':'1.2.0'," frag "}"
#define P(frag)  C ("'process':{'cwd':'/','args':['sh']," frag "}")
#define L(frag)  C ("'linux':{" frag "}")
#define R(frag)  L ("'resources':{" frag "}")
#define SC(frag) L ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'," frag "}")

#define EXPECT(cases) expect_config_errors ((cases), ARRAY_SIZE (cases))

Test (errors, document)
{
  const struct error_case cases[] = {
    { "[]", "config.json: expected an object, got an array" },
    { "'1.2.0'", "config.json: expected an object, got a string" },
    { "null", "config.json: expected an object, got null" },
    { "{}", "config.json: .ociVersion: required" },
    { "{'ociVersion':1}", "config.json: .ociVersion: expected a string, got an integer" },
    { "{'ociVersion':1.5}", "config.json: .ociVersion: expected a string, got a number" },
    { "{'ociVersion':true}", "config.json: .ociVersion: expected a string, got a boolean" },
    { "{'ociVersion':{}}", "config.json: .ociVersion: expected a string, got an object" },
    { "{'ociVersion':'1.0'}", "config.json: .ociVersion: \"1.0\" is not a SemVer 2.0.0 version" },
    { "{'ociVersion':'1.2.0','ociVersion':'1.2.0'}", "config.json: .ociVersion: duplicate property" },
    { C ("'hostname':null"), "config.json: .hostname: expected a string, got null" },
    { C ("'hostname':'a\\u0000b'"), "config.json: .hostname: string contains a NUL character" },
    { C ("'domainname':[]"), "config.json: .domainname: expected a string, got an array" },
    { C ("'process':[]"), "config.json: .process: expected an object, got an array" },
    { C ("'linux':'x'"), "config.json: .linux: expected an object, got a string" },
  };
  EXPECT (cases);
}

Test (errors, root_annotations)
{
  const struct error_case cases[] = {
    { C ("'root':[]"), "config.json: .root: expected an object, got an array" },
    { C ("'root':{}"), "config.json: .root.path: required" },
    { C ("'root':{'readonly':true}"), "config.json: .root.path: required" },
    { C ("'root':{'path':'r','readonly':'yes'}"),
      "config.json: .root.readonly: expected a boolean, got a string" },
    { C ("'annotations':[]"), "config.json: .annotations: expected an object, got an array" },
    { C ("'annotations':{'io.x':1}"),
      "config.json: .annotations[\"io.x\"]: expected a string, got an integer" },
    { C ("'annotations':{'':'x'}"), "config.json: .annotations[\"\"]: empty key" },
    { C ("'annotations':{'a':'1','b':'2','a':'3'}"), "config.json: .annotations[\"a\"]: duplicate key" },
    { C ("'annotations':{'a\\\"b\\n':null}"),
      "config.json: .annotations[\"a\\\"b\\n\"]: expected a string, got null" },
    { C ("'annotations':{'a\\u0000':'x'}"),
      "config.json: .annotations[\"a\\u0000\"]: key contains a NUL character" },
    { C ("'annotations':{'a':'\\u0000'}"),
      "config.json: .annotations[\"a\"]: string contains a NUL character" },
  };
  EXPECT (cases);
}

Test (errors, mounts)
{
  const struct error_case cases[] = {
    { C ("'mounts':{}"), "config.json: .mounts: expected an array, got an object" },
    { C ("'mounts':[{}]"), "config.json: .mounts[0].destination: required" },
    { C ("'mounts':[{'destination':'/a'},5]"),
      "config.json: .mounts[1]: expected an object, got an integer" },
    { C ("'mounts':[{'destination':'/a','type':1}]"),
      "config.json: .mounts[0].type: expected a string, got an integer" },
    { C ("'mounts':[{'destination':'/a','source':false}]"),
      "config.json: .mounts[0].source: expected a string, got a boolean" },
    { C ("'mounts':[{'destination':'/a','options':['ro',1]}]"),
      "config.json: .mounts[0].options[1]: expected a string, got an integer" },
    { C ("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"),
      "config.json: .mounts[0].uidMappings: uidMappings and gidMappings must be given together" },
    { C ("'mounts':[{'destination':'/a','gidMappings':[]}]"),
      "config.json: .mounts[0].gidMappings: uidMappings and gidMappings must be given together" },
    { C ("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1}],'gidMappings':[]}]"),
      "config.json: .mounts[0].uidMappings[0].size: required" },
    { C ("'mounts':[{'destination':'/"
         "a','uidMappings':[],'gidMappings':[{'containerID':0,'hostID':-1,'size':1}]}]"),
      "config.json: .mounts[0].gidMappings[0].hostID: -1 is out of range for uint32" },
  };
  EXPECT (cases);
}

Test (errors, hooks)
{
  const struct error_case cases[] = {
    { C ("'hooks':[]"), "config.json: .hooks: expected an object, got an array" },
    { C ("'hooks':{'prestart':{}}"), "config.json: .hooks.prestart: expected an array, got an object" },
    { C ("'hooks':{'prestart':[{}]}"), "config.json: .hooks.prestart[0].path: required" },
    { C ("'hooks':{'poststop':[{'path':'/a'},{'path':'hook'}]}"),
      "config.json: .hooks.poststop[1].path: must be an absolute path, got \"hook\"" },
    { C ("'hooks':{'createRuntime':[{'path':'/h','timeout':0}]}"),
      "config.json: .hooks.createRuntime[0].timeout: 0 is out of range 1..2147483647" },
    { C ("'hooks':{'createContainer':[{'path':'/h','timeout':-5}]}"),
      "config.json: .hooks.createContainer[0].timeout: -5 is out of range 1..2147483647" },
    { C ("'hooks':{'startContainer':[{'path':'/h','timeout':1.5}]}"),
      "config.json: .hooks.startContainer[0].timeout: expected an integer, got a number" },
    { C ("'hooks':{'poststart':[{'path':'/h','timeout':2147483648}]}"),
      "config.json: .hooks.poststart[0].timeout: 2147483648 is out of range for int32" },
    { C ("'hooks':{'prestart':[{'path':'/h','args':'x'}]}"),
      "config.json: .hooks.prestart[0].args: expected an array, got a string" },
    { C ("'hooks':{'prestart':[{'path':'/h','env':[null]}]}"),
      "config.json: .hooks.prestart[0].env[0]: expected a string, got null" },
  };
  EXPECT (cases);
}

Test (errors, process)
{
  const struct error_case cases[] = {
    { C ("'process':{}"), "config.json: .process.args: required" },
    { C ("'process':{'args':['sh']}"), "config.json: .process.cwd: required" },
    { C ("'process':{'cwd':'/','args':[]}"), "config.json: .process.args: must contain at least one entry" },
    { C ("'process':{'cwd':'tmp','args':['sh']}"),
      "config.json: .process.cwd: must be an absolute path, got \"tmp\"" },
    { C ("'process':{'cwd':'','args':['sh']}"),
      "config.json: .process.cwd: must be an absolute path, got \"\"" },
    { C ("'process':{'cwd':'/','args':['sh',2]}"),
      "config.json: .process.args[1]: expected a string, got an integer" },
    { P ("'env':['A=1','FOO']"),
      "config.json: .process.env[1]: invalid environment variable \"FOO\": missing '='" },
    { P ("'env':['=x']"), "config.json: .process.env[0]: invalid environment variable \"=x\": empty name" },
    { P ("'terminal':'true'"), "config.json: .process.terminal: expected a boolean, got a string" },
    { P ("'consoleSize':{'height':1}"), "config.json: .process.consoleSize.width: required" },
    { P ("'consoleSize':{'height':1,'width':-1}"),
      "config.json: .process.consoleSize.width: -1 is out of range for uint32" },
    { P ("'user':{'uid':4294967296}"),
      "config.json: .process.user.uid: 4294967296 is out of range for uint32" },
    { P ("'user':{'gid':1e3}"), "config.json: .process.user.gid: expected an integer, got a number" },
    { P ("'user':{'umask':-1}"), "config.json: .process.user.umask: -1 is out of range for uint32" },
    { P ("'user':{'additionalGids':[1,'2']}"),
      "config.json: .process.user.additionalGids[1]: expected an integer, got a string" },
    { P ("'user':{'additionalGids':[4294967296]}"),
      "config.json: .process.user.additionalGids[0]: 4294967296 is out of range for uint32" },
    { P ("'user':{'username':1}"), "config.json: .process.user.username: expected a string, got an integer" },
    { P ("'capabilities':{'bounding':['CAP_KILL','kill']}"),
      "config.json: .process.capabilities.bounding[1]: invalid capability name \"kill\"" },
    { P ("'capabilities':{'effective':['CAP_']}"),
      "config.json: .process.capabilities.effective[0]: invalid capability name \"CAP_\"" },
    { P ("'capabilities':{'inheritable':['CAP_sys_admin']}"),
      "config.json: .process.capabilities.inheritable[0]: invalid capability name \"CAP_sys_admin\"" },
    { P ("'capabilities':{'permitted':['CAP KILL']}"),
      "config.json: .process.capabilities.permitted[0]: invalid capability name \"CAP KILL\"" },
    { P ("'capabilities':{'ambient':'CAP_KILL'}"),
      "config.json: .process.capabilities.ambient: expected an array, got a string" },
    { P ("'rlimits':{}"), "config.json: .process.rlimits: expected an array, got an object" },
    { P ("'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
      "config.json: .process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
      "config.json: .process.rlimits[0].hard: required" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','hard':1}]"),
      "config.json: .process.rlimits[0].soft: required" },
    { P ("'rlimits':[{'soft':1,'hard':1}]"), "config.json: .process.rlimits[0].type: required" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':18446744073709551616}]"),
      "config.json: .process.rlimits[0].hard: 18446744073709551616 is out of range for uint64" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1}]"),
      "config.json: .process.rlimits[0].soft: -1 is out of range for uint64" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':2048,'hard':1024}]"),
      "config.json: .process.rlimits[0]: soft limit 2048 is greater than hard limit 1024" },
    { P ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_CORE','soft':1,'hard':1},"
         "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
      "config.json: .process.rlimits[2].type: duplicate rlimit type \"RLIMIT_NOFILE\"" },
    { P ("'noNewPrivileges':1"),
      "config.json: .process.noNewPrivileges: expected a boolean, got an integer" },
    { P ("'apparmorProfile':{}"), "config.json: .process.apparmorProfile: expected a string, got an object" },
    { P ("'selinuxLabel':[]"), "config.json: .process.selinuxLabel: expected a string, got an array" },
    { P ("'commandLine':1"), "config.json: .process.commandLine: expected a string, got an integer" },
    { P ("'oomScoreAdj':'0'"), "config.json: .process.oomScoreAdj: expected an integer, got a string" },
    { P ("'oomScoreAdj':-2147483649"),
      "config.json: .process.oomScoreAdj: -2147483649 is out of range for int32" },
  };
  EXPECT (cases);
}

Test (errors, process_scheduler_io_priority_affinity)
{
  const struct error_case cases[] = {
    { P ("'scheduler':{}"), "config.json: .process.scheduler.policy: required" },
    { P ("'scheduler':{'policy':'SCHED_X'}"),
      "config.json: .process.scheduler.policy: unknown scheduler policy \"SCHED_X\"" },
    { P ("'scheduler':{'policy':'SCHED_OTHER','flags':['SCHED_FLAG_RECLAIM','X']}"),
      "config.json: .process.scheduler.flags[1]: unknown scheduler flag \"X\"" },
    { P ("'scheduler':{'policy':'SCHED_OTHER','nice':20}"),
      "config.json: .process.scheduler.nice: 20 is out of range -20..19 for SCHED_OTHER" },
    { P ("'scheduler':{'policy':'SCHED_BATCH','nice':-21}"),
      "config.json: .process.scheduler.nice: -21 is out of range -20..19 for SCHED_BATCH" },
    { P ("'scheduler':{'policy':'SCHED_OTHER','nice':2147483648}"),
      "config.json: .process.scheduler.nice: 2147483648 is out of range for int32" },
    { P ("'scheduler':{'policy':'SCHED_OTHER','priority':1}"),
      "config.json: .process.scheduler.priority: only allowed with SCHED_FIFO or SCHED_RR" },
    { P ("'scheduler':{'policy':'SCHED_FIFO','runtime':1}"),
      "config.json: .process.scheduler.runtime: only allowed with SCHED_DEADLINE" },
    { P ("'scheduler':{'policy':'SCHED_IDLE','deadline':1}"),
      "config.json: .process.scheduler.deadline: only allowed with SCHED_DEADLINE" },
    { P ("'scheduler':{'policy':'SCHED_ISO','period':1}"),
      "config.json: .process.scheduler.period: only allowed with SCHED_DEADLINE" },
    { P ("'scheduler':{'policy':'SCHED_DEADLINE','period':-1}"),
      "config.json: .process.scheduler.period: -1 is out of range for uint64" },
    { P ("'ioPriority':{}"), "config.json: .process.ioPriority.class: required" },
    { P ("'ioPriority':{'class':'IOPRIO_CLASS_NONE'}"),
      "config.json: .process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"" },
    { P ("'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}"),
      "config.json: .process.ioPriority.priority: 8 is out of range 0..7" },
    { P ("'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':-1}"),
      "config.json: .process.ioPriority.priority: -1 is out of range 0..7" },
    { P ("'execCPUAffinity':{'initial':'0-3;7'}"),
      "config.json: .process.execCPUAffinity.initial: invalid CPU list \"0-3;7\"" },
    { P ("'execCPUAffinity':{'final':7}"),
      "config.json: .process.execCPUAffinity.final: expected a string, got an integer" },
  };
  EXPECT (cases);
}

Test (errors, linux_namespaces_mappings_devices)
{
  const struct error_case cases[] = {
    { L ("'namespaces':{}"), "config.json: .linux.namespaces: expected an array, got an object" },
    { L ("'namespaces':[{}]"), "config.json: .linux.namespaces[0].type: required" },
    { L ("'namespaces':[{'type':'pid'},{'type':'foo'}]"),
      "config.json: .linux.namespaces[1].type: unknown namespace type \"foo\"" },
    { L ("'namespaces':[{'type':'network','path':'netns'}]"),
      "config.json: .linux.namespaces[0].path: must be an absolute path, got \"netns\"" },
    { L ("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
      "config.json: .linux.namespaces[2].type: duplicate namespace type \"pid\"" },
    { L ("'uidMappings':[{'containerID':0,'hostID':0}]"),
      "config.json: .linux.uidMappings[0].size: required" },
    { L ("'gidMappings':[{'hostID':0,'size':1}]"),
      "config.json: .linux.gidMappings[0].containerID: required" },
    { L ("'uidMappings':[{'containerID':0,'hostID':0,'size':4294967296}]"),
      "config.json: .linux.uidMappings[0].size: 4294967296 is out of range for uint32" },
    { L ("'timeOffsets':[]"), "config.json: .linux.timeOffsets: expected an object, got an array" },
    { L ("'timeOffsets':{'realtime':{}}"),
      "config.json: .linux.timeOffsets[\"realtime\"]: unknown clock \"realtime\"" },
    { L ("'timeOffsets':{'boottime':5}"),
      "config.json: .linux.timeOffsets[\"boottime\"]: expected an object, got an integer" },
    { L ("'timeOffsets':{'monotonic':{'nanosecs':1000000000}}"),
      "config.json: .linux.timeOffsets[\"monotonic\"].nanosecs: 1000000000 is out of range 0..999999999" },
    { L ("'timeOffsets':{'monotonic':{'secs':9223372036854775808}}"),
      "config.json: .linux.timeOffsets[\"monotonic\"].secs: 9223372036854775808 is out of range for int64" },
    { L ("'timeOffsets':{'monotonic':{},'monotonic':{}}"),
      "config.json: .linux.timeOffsets[\"monotonic\"]: duplicate key" },
    { L ("'devices':[{'path':'/dev/x'}]"), "config.json: .linux.devices[0].type: required" },
    { L ("'devices':[{'type':'c'}]"), "config.json: .linux.devices[0].path: required" },
    { L ("'devices':[{'path':'/dev/x','type':'x','major':1,'minor':1}]"),
      "config.json: .linux.devices[0].type: unknown device type \"x\"" },
    { L ("'devices':[{'path':'/dev/x','type':'c','minor':1}]"),
      "config.json: .linux.devices[0].major: required" },
    { L ("'devices':[{'path':'/dev/x','type':'b','major':1}]"),
      "config.json: .linux.devices[0].minor: required" },
    { L ("'devices':[{'path':'/dev/x','type':'u','major':1}]"),
      "config.json: .linux.devices[0].minor: required" },
    { L ("'devices':[{'path':'/dev/x','type':'p','fileMode':-1}]"),
      "config.json: .linux.devices[0].fileMode: -1 is out of range for uint32" },
    { L ("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'uid':'0'}]"),
      "config.json: .linux.devices[0].uid: expected an integer, got a string" },
    { L ("'devices':[{'path':'/dev/x','type':'c','major':1.0,'minor':1}]"),
      "config.json: .linux.devices[0].major: expected an integer, got a number" },
    { L ("'cgroupsPath':1"), "config.json: .linux.cgroupsPath: expected a string, got an integer" },
    { L ("'sysctl':{'net.ipv4.ip_forward':1}"),
      "config.json: .linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer" },
    { L ("'sysctl':{'':'1'}"), "config.json: .linux.sysctl[\"\"]: empty key" },
  };
  EXPECT (cases);
}

Test (errors, linux_resources)
{
  const struct error_case cases[] = {
    { L ("'resources':[]"), "config.json: .linux.resources: expected an object, got an array" },
    { R ("'devices':[{}]"), "config.json: .linux.resources.devices[0].allow: required" },
    { R ("'devices':[{'allow':'yes'}]"),
      "config.json: .linux.resources.devices[0].allow: expected a boolean, got a string" },
    { R ("'devices':[{'allow':true,'type':'p'}]"),
      "config.json: .linux.resources.devices[0].type: unknown device type \"p\"" },
    { R ("'devices':[{'allow':true,'access':'rwx'}]"),
      "config.json: .linux.resources.devices[0].access: invalid access \"rwx\": only r, w and m are "
      "allowed" },
    { R ("'devices':[{'allow':true,'major':'*'}]"),
      "config.json: .linux.resources.devices[0].major: expected an integer, got a string" },
    { R ("'memory':{'limit':'1'}"),
      "config.json: .linux.resources.memory.limit: expected an integer, got a string" },
    { R ("'memory':{'limit':9223372036854775808}"),
      "config.json: .linux.resources.memory.limit: 9223372036854775808 is out of range for int64" },
    { R ("'memory':{'reservation':-9223372036854775809}"),
      "config.json: .linux.resources.memory.reservation: -9223372036854775809 is out of range for int64" },
    { R ("'memory':{'swappiness':-1}"),
      "config.json: .linux.resources.memory.swappiness: -1 is out of range for uint64" },
    { R ("'memory':{'disableOOMKiller':0}"),
      "config.json: .linux.resources.memory.disableOOMKiller: expected a boolean, got an integer" },
    { R ("'memory':{'kernelTCP':1e9}"),
      "config.json: .linux.resources.memory.kernelTCP: expected an integer, got a number" },
    { R ("'cpu':{'shares':-1}"), "config.json: .linux.resources.cpu.shares: -1 is out of range for uint64" },
    { R ("'cpu':{'quota':1.5}"),
      "config.json: .linux.resources.cpu.quota: expected an integer, got a number" },
    { R ("'cpu':{'cpus':1}"), "config.json: .linux.resources.cpu.cpus: expected a string, got an integer" },
    { R ("'cpu':{'idle':true}"),
      "config.json: .linux.resources.cpu.idle: expected an integer, got a boolean" },
    { R ("'pids':5"), "config.json: .linux.resources.pids: expected an object, got an integer" },
    { R ("'pids':{}"), "config.json: .linux.resources.pids.limit: required" },
    { R ("'blockIO':{'weight':5}"),
      "config.json: .linux.resources.blockIO.weight: 5 is out of range 10..1000 (or 0 for unset)" },
    { R ("'blockIO':{'leafWeight':1001}"),
      "config.json: .linux.resources.blockIO.leafWeight: 1001 is out of range 10..1000 (or 0 for unset)" },
    { R ("'blockIO':{'weight':70000}"),
      "config.json: .linux.resources.blockIO.weight: 70000 is out of range for uint16" },
    { R ("'blockIO':{'weightDevice':[{'major':8,'minor':0}]}"),
      "config.json: .linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight" },
    { R ("'blockIO':{'weightDevice':[{'major':8,'weight':100}]}"),
      "config.json: .linux.resources.blockIO.weightDevice[0].minor: required" },
    { R ("'blockIO':{'weightDevice':[{'major':8,'minor':0,'leafWeight':9}]}"),
      "config.json: .linux.resources.blockIO.weightDevice[0].leafWeight: 9 is out of range 10..1000 (or 0 "
      "for unset)" },
    { R ("'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}"),
      "config.json: .linux.resources.blockIO.throttleReadBpsDevice[0].rate: required" },
    { R ("'blockIO':{'throttleWriteBpsDevice':[{'minor':0,'rate':1}]}"),
      "config.json: .linux.resources.blockIO.throttleWriteBpsDevice[0].major: required" },
    { R ("'blockIO':{'throttleReadIOPSDevice':[{'major':8,'minor':0,'rate':-1}]}"),
      "config.json: .linux.resources.blockIO.throttleReadIOPSDevice[0].rate: -1 is out of range for uint64" },
    { R ("'blockIO':{'throttleWriteIOPSDevice':[[]]}"),
      "config.json: .linux.resources.blockIO.throttleWriteIOPSDevice[0]: expected an object, got an array" },
    { R ("'hugepageLimits':[{'pageSize':'2M','limit':1}]"),
      "config.json: .linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\"" },
    { R ("'hugepageLimits':[{'pageSize':'02MB','limit':1}]"),
      "config.json: .linux.resources.hugepageLimits[0].pageSize: invalid page size \"02MB\"" },
    { R ("'hugepageLimits':[{'pageSize':'2TB','limit':1}]"),
      "config.json: .linux.resources.hugepageLimits[0].pageSize: invalid page size \"2TB\"" },
    { R ("'hugepageLimits':[{'pageSize':'2MB'}]"),
      "config.json: .linux.resources.hugepageLimits[0].limit: required" },
    { R ("'network':{'classID':-1}"),
      "config.json: .linux.resources.network.classID: -1 is out of range for uint32" },
    { R ("'network':{'priorities':[{'name':'eth0'}]}"),
      "config.json: .linux.resources.network.priorities[0].priority: required" },
    { R ("'network':{'priorities':[{'priority':1}]}"),
      "config.json: .linux.resources.network.priorities[0].name: required" },
    { R ("'rdma':[]"), "config.json: .linux.resources.rdma: expected an object, got an array" },
    { R ("'rdma':{'mlx5_1':{}}"),
      "config.json: .linux.resources.rdma[\"mlx5_1\"]: needs hcaHandles or hcaObjects" },
    { R ("'rdma':{'mlx5_1':{'hcaHandles':-1}}"),
      "config.json: .linux.resources.rdma[\"mlx5_1\"].hcaHandles: -1 is out of range for uint32" },
    { R ("'rdma':{'':{'hcaHandles':1}}"), "config.json: .linux.resources.rdma[\"\"]: empty key" },
    { R ("'unified':{'a/b':'1'}"),
      "config.json: .linux.resources.unified[\"a/b\"]: must be a file name, without '/'" },
    { R ("'unified':{'memory.max':1}"),
      "config.json: .linux.resources.unified[\"memory.max\"]: expected a string, got an integer" },
  };
  EXPECT (cases);
}

Test (errors, linux_seccomp)
{
  const struct error_case cases[] = {
    { L ("'seccomp':{}"), "config.json: .linux.seccomp.defaultAction: required" },
    { L ("'seccomp':{'defaultAction':'SCMP_ACT_NOPE'}"),
      "config.json: .linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"" },
    { L ("'seccomp':{'defaultAction':'SCMP_ACT_KILL','defaultErrnoRet':1}"),
      "config.json: .linux.seccomp.defaultErrnoRet: not allowed with action \"SCMP_ACT_KILL\"" },
    { SC ("'defaultErrnoRet':-1"),
      "config.json: .linux.seccomp.defaultErrnoRet: -1 is out of range for uint32" },
    { SC ("'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_FOO']"),
      "config.json: .linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_FOO\"" },
    { SC ("'flags':['SECCOMP_FILTER_FLAG_NOPE']"),
      "config.json: .linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_NOPE\"" },
    { SC ("'listenerMetadata':'m'"),
      "config.json: .linux.seccomp.listenerMetadata: not allowed without listenerPath" },
    { SC ("'listenerPath':5"),
      "config.json: .linux.seccomp.listenerPath: expected a string, got an integer" },
    { SC ("'syscalls':{}"), "config.json: .linux.seccomp.syscalls: expected an array, got an object" },
    { SC ("'syscalls':[{'names':['read']}]"), "config.json: .linux.seccomp.syscalls[0].action: required" },
    { SC ("'syscalls':[{'action':'SCMP_ACT_ALLOW'}]"),
      "config.json: .linux.seccomp.syscalls[0].names: required" },
    { SC ("'syscalls':[{'names':[],'action':'SCMP_ACT_ALLOW'}]"),
      "config.json: .linux.seccomp.syscalls[0].names: must contain at least one entry" },
    { SC ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','errnoRet':1}]"),
      "config.json: .linux.seccomp.syscalls[0].errnoRet: not allowed with action \"SCMP_ACT_ALLOW\"" },
    { SC ("'syscalls':[{'names':['read'],'action':'ALLOW'}]"),
      "config.json: .linux.seccomp.syscalls[0].action: unknown seccomp action \"ALLOW\"" },
    { SC ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0}]}]"),
      "config.json: .linux.seccomp.syscalls[0].args[0].op: required" },
    { SC ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'value':0,'op':'SCMP_CMP_EQ'}]}"
          "]"),
      "config.json: .linux.seccomp.syscalls[0].args[0].index: required" },
    { SC ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}"
          "]"),
      "config.json: .linux.seccomp.syscalls[0].args[0].value: required" },
    { SC ("'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0,'op':'EQ'}]}"
          "]"),
      "config.json: .linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\"" },
    { SC ("'syscalls':[{'names':['a'],'action':'SCMP_ACT_ALLOW'},{'names':['b'],'action':'SCMP_ACT_ALLOW','"
          "args':["
          "{'index':0,'value':18446744073709551616,'op':'SCMP_CMP_EQ'}]}]"),
      "config.json: .linux.seccomp.syscalls[1].args[0].value: 18446744073709551616 is out of range for "
      "uint64" },
    { SC ("'syscalls':[{'names':['a'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0,'valueTwo':-1,"
          "'op':'SCMP_CMP_MASKED_EQ'}]}]"),
      "config.json: .linux.seccomp.syscalls[0].args[0].valueTwo: -1 is out of range for uint64" },
  };
  EXPECT (cases);
}

Test (errors, linux_other)
{
  const struct error_case cases[] = {
    { L ("'rootfsPropagation':'foo'"),
      "config.json: .linux.rootfsPropagation: unknown rootfs propagation \"foo\"" },
    { L ("'rootfsPropagation':''"),
      "config.json: .linux.rootfsPropagation: unknown rootfs propagation \"\"" },
    { L ("'maskedPaths':['/proc/kcore','proc/keys']"),
      "config.json: .linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"" },
    { L ("'readonlyPaths':'/proc'"), "config.json: .linux.readonlyPaths: expected an array, got a string" },
    { L ("'readonlyPaths':['']"),
      "config.json: .linux.readonlyPaths[0]: must be an absolute path, got \"\"" },
    { L ("'mountLabel':false"), "config.json: .linux.mountLabel: expected a string, got a boolean" },
    { L ("'intelRdt':{'memBwSchema':'L3:0=1'}"),
      "config.json: .linux.intelRdt.memBwSchema: must start with \"MB:\" and be one line" },
    { L ("'intelRdt':{'memBwSchema':'MB:0=1\\nMB:1=2'}"),
      "config.json: .linux.intelRdt.memBwSchema: must start with \"MB:\" and be one line" },
    { L ("'intelRdt':{'enableCMT':'true'}"),
      "config.json: .linux.intelRdt.enableCMT: expected a boolean, got a string" },
    { L ("'personality':{}"), "config.json: .linux.personality.domain: required" },
    { L ("'personality':{'domain':'LINUX64'}"),
      "config.json: .linux.personality.domain: unknown personality domain \"LINUX64\"" },
    { L ("'personality':{'domain':'LINUX','flags':[1]}"),
      "config.json: .linux.personality.flags[0]: expected a string, got an integer" },
  };
  EXPECT (cases);
}

/* JSON that is not JSON: one line naming the file, the position and
 * yajl's reason.  The position is where yajl stopped reading, which is at or
 * just after the offending character.  */
Test (errors, syntax)
{
  const struct error_case cases[] = {
    { "", "config.json: line 1, column 1: parse error: premature EOF" },
    { "{", "config.json: line 1, column 2: parse error: premature EOF" },
    { "{\n  'ociVersion': x\n}", "config.json: line 2, column 18: lexical error: invalid char in json text" },
    { "{'ociVersion':'1.2.0'} x", "config.json: line 1, column 25: parse error: trailing garbage" },
    { "{'ociVersion':'1.2.0',}",
      "config.json: line 1, column 24: parse error: invalid object key (must be a string)" },
    { "{/* c */'ociVersion':'1.2.0'}",
      "config.json: line 1, column 2: lexical error: probable comment found in input text, comments are not "
      "enabled" },
    { "{'ociVersion':'1.2.0'}{}", "config.json: line 1, column 24: parse error: trailing garbage" },
    { "{'a':01}",
      "config.json: line 1, column 7: parse error: after key and value, inside map, I expect ',' or '}'" },
    { "{'a':-}",
      "config.json: line 1, column 7: lexical error: malformed number, a digit is required after the minus "
      "sign" },
  };
  EXPECT (cases);
}

Test (errors, syntax_bytes)
{
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  const char nul[] = "{\"ociVersion\":\"1.2.0\"\0}";
  const char latin1[] = "{\"ociVersion\":\"1.2.0\",\"hostname\":\"caf\xe9\"}";

  cr_assert_eq (spec_config_parse ("config.json", nul, sizeof (nul) - 1, &c, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: line 1, column 23: lexical error: invalid char in json text");
  cr_assert_eq (spec_config_parse ("config.json", latin1, sizeof (latin1) - 1, &c, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: line 1, column 40: lexical error: invalid bytes in UTF8 string");
  cr_assert_null (c);
}

Test (errors, nesting_is_bounded)
{
  size_t depth = 100000, i;
  _cleanup_free_ char *doc = xmalloc (depth * 2 + 64);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  char *p = doc;

  p += snprintf (p, 64, "{\"ociVersion\":\"1.2.0\",\"x\":");
  for (i = 0; i < depth; i++)
    *p++ = '[';
  for (i = 0; i < depth; i++)
    *p++ = ']';
  *p++ = '}';
  cr_assert_eq (spec_config_parse ("config.json", doc, (size_t) (p - doc), &c, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: line 1, column 155: nesting deeper than 128 levels");

  /* Unknown members may nest up to the limit and are skipped.  */
  p = doc;
  p += snprintf (p, 64, "{\"ociVersion\":\"1.2.0\",\"x\":");
  for (i = 0; i < 127; i++)
    *p++ = '[';
  for (i = 0; i < 127; i++)
    *p++ = ']';
  *p++ = '}';
  cr_assert_eq (spec_config_parse ("config.json", doc, (size_t) (p - doc), &c, &err), 0, "%s",
                err ? err->msg : "");
  spec_config_free (c);
}

Test (errors, long_values_are_cut_in_messages)
{
  _cleanup_free_ char *type = xmalloc (5001), *doc = NULL, *msg = NULL, *want = NULL;
  _cleanup_free_ char *num = xmalloc (5001);

  memset (type, 'x', 5000);
  type[0] = 'y';
  type[5000] = '\0';
  doc = xasprintf ("{'ociVersion':'1.2.0','linux':{'namespaces':[{'type':'\\u00e9%s'}]}}", type);
  msg = config_error (doc);
  /* 100 bytes: "é" (2 bytes), "y", 97 x; nothing is cut inside "é".  */
  want = xasprintf ("config.json: .linux.namespaces[0].type: unknown namespace type \"\xc3\xa9y%.97s\"...",
                    type + 1);
  cr_assert_str_eq (msg, want);

  memset (num, '9', 5000);
  num[5000] = '\0';
  free (doc);
  free (msg);
  free (want);
  doc = xasprintf ("{'ociVersion':'1.2.0','process':{'cwd':'/','args':['sh'],'oomScoreAdj':%s}}", num);
  msg = config_error (doc);
  want = xasprintf ("config.json: .process.oomScoreAdj: %.40s... is out of range for int32", num);
  cr_assert_str_eq (msg, want);
}

Test (errors, many_keys_duplicate_found_in_document_order)
{
  size_t n = 20000, i;
  size_t cap = n * 24 + 128;
  _cleanup_free_ char *doc = xmalloc (cap);
  _cleanup_free_ char *msg = NULL;
  size_t off = 0;

  off += (size_t) snprintf (doc + off, cap - off, "{'ociVersion':'1.2.0','annotations':{");
  for (i = 0; i < n; i++)
    off += (size_t) snprintf (doc + off, cap - off, "'k%zu':'v',", i);
  /* k7 repeats after k19999; k3 repeats after that: k7's is reported.  */
  off += (size_t) snprintf (doc + off, cap - off, "'k7':'v','k3':'v'}}");
  msg = config_error (doc);
  cr_assert_str_eq (msg, "config.json: .annotations[\"k7\"]: duplicate key");
}

Test (errors, oversized_document_and_default_name)
{
  size_t len = (64u << 20) + 1;
  _cleanup_free_ char *big = xmalloc (len);
  _cleanup_error_ rv_error_t err = NULL;
  struct spec_config *c = NULL;
  struct spec_process *p = NULL;

  /* Refused before a byte is read.  */
  cr_assert_eq (spec_config_parse ("config.json", big, len, &c, &err), -EFBIG);
  cr_assert_str_eq (err->msg, "config.json: larger than 67108864 bytes");
  cr_assert_null (c);

  cr_assert_eq (spec_config_parse (NULL, "[]", 2, &c, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "config.json: expected an object, got an array");
  cr_assert_eq (spec_process_parse (NULL, "[]", 2, &p, &err), -EINVAL);
  cr_assert_str_eq (err->msg, "process.json: expected an object, got an array");
}
