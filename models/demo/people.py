"""Demo people: grid teams per DOMAIN §1 (1 guide, 1 leader, 1 full-time, ~10 part-time)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from models.enums import StaffRole

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力燕鹏斌宇浩凯晨阳俊帆佳琳婷雪慧颖欣怡博宁海峰亮东林波"


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + f"{rng.randrange(10**9):09d}"


@dataclass(frozen=True)
class DemoStaff:
    staff_no: str
    name: str
    role: StaffRole
    grid_code: str
    town_code: str
    hire_date: dt.date
    phone: str


def grid_team(grid_code: str, town_code: str, serial: int, today: dt.date, rng: random.Random) -> list[DemoStaff]:
    """One grid's team; about 6 % of full-time workers were hired in the last quarter."""
    team = []

    def hire(recent: bool = False) -> dt.date:
        days = rng.randint(5, 120) if recent else rng.randint(200, 8 * 365)
        return today - dt.timedelta(days=days)

    roles = [StaffRole.GUIDE, StaffRole.LEADER, StaffRole.FULL_TIME] + [StaffRole.PART_TIME] * rng.randint(8, 12)
    for i, role in enumerate(roles):
        recent = role is StaffRole.FULL_TIME and rng.random() < 0.06
        team.append(DemoStaff(f"W{serial:05d}{i:02d}", person_name(rng), role, grid_code, town_code,
                              hire(recent), mobile(rng)))
    return team
